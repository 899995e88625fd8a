"""Peers on loopback for the notification tests: an HTTP peer (an SMS gateway, a group robot) that
records each request and answers from a script, and a mailbox for aiosmtpd."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GATEWAY_KEY = "gateway-test-key"


class Peer(ThreadingHTTPServer):
    """A loopback HTTP peer that records each POST and answers from a script (then 200 with `default`)."""

    daemon_threads = True

    def __init__(self, default):
        self.requests, self.script, self.default, self.delay = [], [], default, 0.0
        self.lock = threading.Lock()

        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with peer.lock:
                    peer.requests.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
                    status, answer = peer.script.pop(0) if peer.script else (200, peer.default)
                time.sleep(peer.delay)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def bodies(self):
        return [r["json"] for r in self.requests]


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"
