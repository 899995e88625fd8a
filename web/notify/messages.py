"""Message templates, per kind of notification and language (Chinese by default, English).

A notification keeps the facts of its event (`params`: task title, place, station, times in UTC);
each channel renders them in the person's language: a short SMS, an e-mail with a subject, a
title and body for the person's inbox, and a station group's broadcast (no personal data).
"""
import datetime as dt
from dataclasses import dataclass

from ..common.schemas import LOCAL_TZ

LANGUAGES = ("zh", "en")
# How to stop SMS, at the end of each one (a reply the gateway forwards to /api/v1/notifications/sms-replies).
SMS_STOP = {"zh": "回复TD退订", "en": "Reply TD to stop"}
STOP_WORDS = frozenset({"TD", "T", "退订", "STOP", "UNSUBSCRIBE", "取消订阅"})
_WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# kind -> language -> (title, body). Bodies name the station, the task, when and where.
TEMPLATES = {
    "invitation": {
        "zh": ("服务邀请：{title}", "{station}邀请您参加“{title}”，时间{when}，地点{place}。"),
        "en": ("Invitation: {title}", "{station} invites you to \"{title}\" on {when} at {place}."),
    },
    "sign_in_code": {
        "zh": ("验证码", "您的验证码是{code}，5分钟内有效。请勿告诉他人。"),
        "en": ("Your code", "Your code is {code}. It is valid for 5 minutes. Do not share it."),
    },
    "reminder": {
        "zh": ("服务提醒：{title}", "提醒：您报名的“{title}”将于{when}开始，地点{place}。"),
        "en": ("Reminder: {title}", "Reminder: \"{title}\", which you accepted, starts {when} at {place}."),
    },
    "task_changed": {
        "zh": ("服务变更：{title}", "“{title}”有变更：现在时间为{when}，地点{place}。如不能参加，请告知{station}。"),
        "en": ("Changed: {title}", "\"{title}\" has changed: it is now on {when} at {place}. If you cannot come, "
                                   "please tell {station}."),
    },
    "task_cancelled": {
        "zh": ("服务取消：{title}", "很抱歉，{station}已取消原定{when}的“{title}”。"),
        "en": ("Cancelled: {title}", "Sorry: {station} has cancelled \"{title}\", planned for {when}."),
    },
    "invitation_withdrawn": {
        "zh": ("邀请撤回：{title}", "{station}已撤回“{title}”（{when}）的邀请，无需前往。"),
        "en": ("Invitation withdrawn: {title}", "{station} has withdrawn the invitation to \"{title}\" ({when}): "
                                               "you need not come."),
    },
    "hours_verified": {
        "zh": ("服务时长已确认：{hours}小时", "{station}已确认您在“{title}”（{when}）的服务时长：{hours}小时。感谢您的付出！"),
        "en": ("Hours verified: {hours} h", "{station} verified your {hours} h on \"{title}\" ({when}). Thank you!"),
    },
    "hours_rejected": {
        "zh": ("服务时长未通过：{title}", "{station}未确认您在“{title}”（{when}）申报的服务时长。如有疑问，请联系服务站。"),
        "en": ("Hours not verified: {title}", "{station} did not verify the hours you reported on \"{title}\" "
                                             "({when}). Please contact the station if this is wrong."),
    },
    # A resident's own request (web/services/needs.py): no account, so SMS only.
    "need_taken": {
        "zh": ("求助已受理：{reference}", "您的求助（编号{reference}）已由{station}受理，工作人员会尽快与您联系。"),
        "en": ("Request taken: {reference}", "Your request {reference} has been taken by {station}: they will contact "
                                            "you soon."),
    },
    "need_task": {
        "zh": ("求助已安排服务：{reference}", "{station}已为您的求助（编号{reference}）安排服务，时间{when}。"),
        "en": ("Service planned: {reference}", "{station} has planned the service for your request {reference} on "
                                              "{when}."),
    },
    "need_served": {
        "zh": ("服务已完成：{reference}", "{station}已完成您的求助（编号{reference}）的服务。欢迎在查询页面为本次服务评分。"),
        "en": ("Served: {reference}", "{station} has served your request {reference}. You may rate the service on "
                                     "your follow-up page."),
    },
    "need_closed": {
        "zh": ("求助已办结：{reference}", "您的求助（编号{reference}）已办结。如仍需帮助，欢迎再次提交。"),
        "en": ("Request closed: {reference}", "Your request {reference} is closed. If you still need help, please "
                                             "ask again."),
    },
}
# A station group's broadcast: only the task, never a person.
GROUP_TEMPLATES = {
    "task_changed": {"zh": "【变更】“{title}”现在时间为{when}，地点{place}。",
                     "en": "[Changed] \"{title}\" is now on {when} at {place}."},
    "task_cancelled": {"zh": "【取消】原定{when}的“{title}”已取消。",
                       "en": "[Cancelled] \"{title}\", planned for {when}, is cancelled."},
}


@dataclass(frozen=True)
class Message:
    """A notification rendered for one language: the title (an e-mail's subject) and the text."""

    title: str
    text: str
    language: str = "zh"


def local_window(starts_at, ends_at, language):
    """'12月5日(周六) 09:00-12:00' or 'Sat 5 Dec 09:00-12:00', in Asia/Shanghai."""
    start, end = (dt.datetime.fromisoformat(t).astimezone(LOCAL_TZ) for t in (starts_at, ends_at))
    day = start.weekday()
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%m-%d %H:%M}"
    if language == "zh":
        return f"{start.month}月{start.day}日(周{_WEEKDAYS['zh'][day]}) {start:%H:%M}-{until}"
    return f"{_WEEKDAYS['en'][day]} {start.day} {_MONTHS[start.month - 1]} {start:%H:%M}-{until}"


def _fields(params, language):
    values = dict(params)
    if "starts_at" in params:
        values["when"] = local_window(params["starts_at"], params["ends_at"], language)
    if not values.get("place"):
        values["place"] = "服务站" if language == "zh" else "the station"
    if "hours" in values:
        values["hours"] = f"{values['hours']:g}"
    return values


# The one-tap answer an invitation carries, where the channel has a link to give.
ANSWER_LINK = {"zh": "一键答复：{link}", "en": "Answer here: {link}"}


def render(kind, params, language, link=None):
    """The person's message for a notification (unknown languages fall back to Chinese); `link` is an
    invitation's one-tap answer link."""
    language = language if language in LANGUAGES else "zh"
    title, text = TEMPLATES[kind][language]
    values = _fields({"code": "******", **params}, language)
    text = text.format(**values)
    if link:
        text += " " + ANSWER_LINK[language].format(link=link)
    return Message(title.format(**values), text, language)


def render_group(kind, params, language="zh"):
    """A station group's broadcast of a task change."""
    language = language if language in LANGUAGES else "zh"
    return GROUP_TEMPLATES[kind][language].format(**_fields(params, language))
