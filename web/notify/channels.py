"""The channels a notification travels over, each a small adapter with one method:
``send(address, message, key)``, which returns on success and raises ``TemporaryFailure`` (try again
later: a timeout, a throttle, a 5xx) or ``PermanentFailure`` (never: a refused number or address).

``key`` is the delivery's idempotency key: the SMS gateway is given it, so a provider that saw a
request already (a worker died after sending, before recording it) does not send twice.

- ``SmsGateway``: an HTTP SMS gateway taking a signed JSON request (the format below).
- ``Smtp``: e-mail through an SMTP server (smtplib).
- ``GroupRobot``: a WeCom (企业微信) group robot webhook, for a station's group.
- ``LogChannel``: development, when no provider is configured: the message goes to the server log.

The person's inbox is no channel here: the notification row is the inbox entry.
"""
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from email.message import EmailMessage

from .messages import SMS_STOP

log = logging.getLogger("volmatch.notify")


class TemporaryFailure(Exception):
    """The provider could not take the message now: try again later."""


class PermanentFailure(Exception):
    """The provider refused the message for good (the address is wrong, the request is invalid)."""


def sign(key, timestamp, body):
    """The gateway signature: hex HMAC-SHA256 over '<timestamp>\\n<body>' with the shared key."""
    return hmac.new(key.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signed_by_gateway(key, timestamp, signature, body, now=None, window=300):
    """Whether a request from the gateway (an SMS reply) carries a valid signature made within `window` s."""
    if not key or not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs((now or time.time()) - int(timestamp)) > window:
        return False  # an old request replayed
    return hmac.compare_digest(sign(key, timestamp, body), signature)


def _post_json(url, payload, headers, timeout):
    """POST JSON; return (status, parsed JSON or None). Network trouble is a TemporaryFailure."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **headers(body)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - URL from configuration
            status, raw = answer.status, answer.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        with exc:
            status, raw = exc.code, exc.read(64 * 1024)
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise TemporaryFailure(f"unreachable: {getattr(exc, 'reason', exc)}") from exc
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, None


class SmsGateway:
    """An HTTP SMS gateway: POST {"phone", "text", "sign_name", "request_id"} as JSON, with headers
    ``X-Timestamp`` (Unix seconds) and ``X-Signature`` (see `sign`). 2xx is sent; 429 and 5xx are
    temporary; other 4xx are permanent. Providers with their own formats sit behind a small bridge."""

    def __init__(self, url, key, sign_name, timeout=10):
        self.url, self.key, self.sign_name, self.timeout = url, key or "", sign_name, timeout

    def send(self, address, message, key):
        text = f"【{self.sign_name}】{message.text} {SMS_STOP.get(message.language, SMS_STOP['zh'])}"
        payload = {"phone": address, "text": text, "sign_name": self.sign_name, "request_id": key}

        def headers(body):
            stamp = str(int(time.time()))
            return {"X-Timestamp": stamp, "X-Signature": sign(self.key, stamp, body)}

        status, answer = _post_json(self.url, payload, headers, self.timeout)
        reason = (answer or {}).get("message") if isinstance(answer, dict) else None
        if 200 <= status < 300:
            return
        text = f"gateway answered {status}" + (f": {str(reason)[:200]}" if reason else "")
        if status == 429 or status >= 500:
            raise TemporaryFailure(text)
        raise PermanentFailure(text)


class Smtp:
    """E-mail over SMTP (plain, or STARTTLS with a login when configured)."""

    def __init__(self, host, port, sender, user=None, password=None, starttls=False, timeout=10):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, address, message, key):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, address, message.title
        mail["Message-ID"] = f"<{key}@volmatch>"  # the same id on a retry: mail clients show one
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
                if self.starttls:
                    server.starttls()
                if self.user:
                    server.login(self.user, self.password or "")
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"address refused: {_smtp_reason(exc)}") from exc
        except smtplib.SMTPResponseException as exc:
            failure = PermanentFailure if 500 <= exc.smtp_code < 600 else TemporaryFailure
            raise failure(f"server answered {exc.smtp_code}: {_smtp_reason(exc)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"unreachable: {exc}") from exc


def _smtp_reason(exc):
    text = getattr(exc, "smtp_error", None) or getattr(exc, "recipients", None) or exc
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return str(text)[:200]


class GroupRobot:
    """A WeCom group robot: POST {"msgtype": "text", "text": {"content": …}} to the station's webhook.
    The robot answers {"errcode": 0} when it posted; 45009 (too many messages) is temporary."""

    THROTTLED = 45009

    def __init__(self, timeout=10):
        self.timeout = timeout

    def send(self, address, message, key):
        status, answer = _post_json(address, {"msgtype": "text", "text": {"content": message.text}},
                                    lambda body: {}, self.timeout)
        code = answer.get("errcode") if isinstance(answer, dict) else None
        if 200 <= status < 300 and code == 0:
            return
        text = f"robot answered {status}" + (f", errcode {code}: {str(answer.get('errmsg'))[:200]}"
                                             if code is not None else "")
        if status == 429 or status >= 500 or code == self.THROTTLED:
            raise TemporaryFailure(text)
        raise PermanentFailure(text)


class LogChannel:
    """Development: each message is written to the server log (where the quick start shows it)."""

    def __init__(self, name):
        self.name = name

    def send(self, address, message, key):
        log.warning("[%s to %s] %s | %s", self.name, address, message.title, message.text)


def from_config(config):
    """The channels an app's configuration sets up, by name (log channels where no provider is set)."""
    timeout = config["NOTIFY_TIMEOUT"]
    sms = (SmsGateway(config["SMS_GATEWAY_URL"], config["SMS_GATEWAY_KEY"], config["SMS_SIGN_NAME"], timeout)
           if config.get("SMS_GATEWAY_URL") else LogChannel("sms"))
    email = (Smtp(config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_FROM"], config.get("SMTP_USER"),
                  config.get("SMTP_PASSWORD"), config["SMTP_STARTTLS"], timeout)
             if config.get("SMTP_HOST") else LogChannel("email"))
    return {"sms": sms, "email": email, "group": GroupRobot(timeout)}
