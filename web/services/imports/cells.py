"""Cleaning of messy spreadsheet cells: phones in float form, skill lists, availability phrases."""
import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from ...common.text import msg

# Bumped whenever a cell is read differently: re-imports then re-read rows they counted as unchanged.
CELLS_VERSION = 2  # 2: time phrases read exactly (下午2点-5点 was also stored as 02:00-05:00)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZH_DAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_EN_DAY = {d: i for i, d in enumerate(DAYS)} | {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3}
# Named parts of the day, as stations mean them.
PERIODS = {
    "上午": ("08:00", "12:00"), "早上": ("08:00", "12:00"), "中午": ("12:00", "14:00"), "下午": ("14:00", "18:00"),
    "晚上": ("19:00", "21:30"), "晚间": ("19:00", "21:30"), "夜间": ("19:00", "21:30"), "白天": ("08:00", "18:00"),
    "全天": ("08:00", "21:00"), "morning": ("08:00", "12:00"), "mornings": ("08:00", "12:00"),
    "afternoon": ("14:00", "18:00"), "afternoons": ("14:00", "18:00"), "evening": ("19:00", "21:30"),
    "evenings": ("19:00", "21:30"), "daytime": ("08:00", "18:00"), "allday": ("08:00", "21:00"),
}
DAY_GROUPS = {
    "周末": (5, 6), "双休日": (5, 6), "双休": (5, 6), "周六日": (5, 6), "周六周日": (5, 6), "节假日": (5, 6),
    "每周末": (5, 6), "休息日": (5, 6), "工作日": (0, 1, 2, 3, 4), "每天": tuple(range(7)), "每日": tuple(range(7)),
    "天天": tuple(range(7)), "weekend": (5, 6), "weekends": (5, 6), "weekday": (0, 1, 2, 3, 4),
    "weekdays": (0, 1, 2, 3, 4), "daily": tuple(range(7)), "everyday": tuple(range(7)), "holidays": (5, 6),
}
_EXCEL_NUMBER = re.compile(r"\d+(\.\d+)?[eE]\+?\d+|\d{11}\.0+")

# Skill lists: split on list marks and line breaks; on spaces only next to a Chinese (CJK) character, so
# '手语 急救' is two skills and 'first aid' one.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
_LIST_SPLIT = re.compile(rf"\s*[、，,;；/|｜\n\r\t]+\s*|(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_LIST_MARKS = re.compile(r"[、，,;；/|｜]+")  # _LIST_SPLIT in a text without spaces (\n\r\t are spaces)


def clean(value):
    """A cell as text: NFKC-normalised and trimmed; None for empty cells."""
    if type(value) is str:  # CSV cells, and most Excel ones
        return unicodedata.normalize("NFKC", value).strip() or None
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800138000 as 13800138000.0
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


def phone_text(text):
    """Undo Excel's float forms ('1.3800138E+10', '13800138000.0') before phone validation.

    Scientific notation with fewer than 11 significant digits ('1.38001E+10') has lost digits
    that no one can recover: that is a ValueError, never a guessed number.
    """
    if text and _EXCEL_NUMBER.fullmatch(text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        mantissa = re.split(r"[eE]", text)[0].replace(".", "").lstrip("0")
        if "e" in text.lower() and len(mantissa) < 11:
            raise ValueError(msg("'{text}' is Excel's rounded number form and has lost digits; export the column as text",
                                 text=text))
        if number == number.to_integral_value():
            return str(int(number))
    return text


def split_list(text):
    """'心理疏导、法律援助，手语' -> ['心理疏导', '法律援助', '手语']; 'first aid, English tutoring' -> two skills.

    Items are separated by 、，,；;/｜| and line breaks, and by spaces next to a Chinese character
    ('手语 急救'); spaces between Latin words stay inside the item (one space kept). Duplicates dropped.
    """
    if not text:
        return []
    if _SPACES.search(text) is None:  # no spaces: only list marks split it, and no item has any to trim
        parts = _LIST_MARKS.split(text)
    else:
        parts = (_SPACES.sub(" ", part).strip() for part in _LIST_SPLIT.split(text))
    return list(dict.fromkeys(part for part in parts if part))


# --- Availability phrases -------------------------------------------------------------------------------------------
# A cell is parts separated by list marks; a part is a run of tokens (days, time ranges, parts of the day, filler
# words), read from left to right by one anchored regex: every character is either read or the part is refused.

# Parts are separated by list marks (、，,/| or two spaces) or by phrase ends (；; 。 or a line break); which one matters
# when a part names days only and the next one days and times (see _parse_availability).
_PART = re.compile(r"([^\S\n\r]*(?:[、，,/|｜;；。\n\r][、，,/|｜;；。\s]*|[^\S\n\r]{2,}))")
_PHRASE_END = re.compile(r"[;；。\n\r]")
_DASHES = "\\-\u2010-\u2015\u2212~\u301c\u3030\uff0d\uff5e"  # hyphen and minus, en/em dashes, tildes, wave dashes
_ZH_TO = rf"\s*(?:[{_DASHES}]+|至|到)\s*"
_EN_TO = rf"\s*(?:[{_DASHES}]+|至|到|to(?![a-z]))\s*"
# What a part of the day does to an hour written with it: 下午2点 is 14:00, 晚上7点 19:00, 晚上12点 24:00.
_QUALIFIERS = {
    "上午": "am", "早上": "am", "早晨": "am", "清晨": "am", "morning": "am", "mornings": "am",
    "中午": "noon", "下午": "pm", "afternoon": "pm", "afternoons": "pm",
    "晚上": "night", "晚间": "night", "夜间": "night", "傍晚": "night", "evening": "night", "evenings": "night",
    "凌晨": "early", "白天": "day", "全天": "day", "daytime": "day", "allday": "day",
}
_EVERY_DAY = frozenset({"每天", "每日", "天天", "everyday", "daily"})
_ALL_WEEK = tuple(range(7))


def _words(words):
    """A regex alternation of words, longest first; Latin words only as whole words ('sat', not 'saturn')."""
    def one(word):
        if not word.isascii():
            return re.escape(word)
        return r"(?<![a-z])" + re.escape(word).replace("allday", r"all\s*day").replace("everyday", r"every\s*day") + r"(?![a-z])"
    return "|".join(one(w) for w in sorted(words, key=len, reverse=True))


def _clock(name):
    """An hour with optional minutes: 9, 09:00, 9.30, 9点, 9点半, 9点30(分), 9点钟, 9时."""
    return rf"(?P<{name}h>\d{{1,2}})(?:[:.](?P<{name}m>\d{{2}})|[点时](?:(?P<{name}n>\d{{2}})分?|(?P<{name}half>半)|钟)?)?"


_ZH_PREFIX = r"(?:每周|周|星期|礼拜)"
_EN_DAYS = _words(_EN_DAY)
_TOKEN = re.compile(
    rf"(?P<range>(?:(?P<q1>{_words(_QUALIFIERS)})\s*)?{_clock('a')}{_EN_TO}(?:(?P<q2>{_words(_QUALIFIERS)})\s*)?{_clock('b')})"
    rf"|(?P<group>{_words(DAY_GROUPS)})"
    rf"|{_ZH_PREFIX}(?P<zh1>[一二三四五六日天七])(?:{_ZH_TO}{_ZH_PREFIX}?(?P<zh2>[一二三四五六日天七]))?"
    rf"|(?P<en1>{_EN_DAYS})(?:{_EN_TO}(?P<en2>{_EN_DAYS}))?"
    rf"|(?P<period>{_words(PERIODS)})"
    r"|(?P<filler>[\s有空可以均都时间的和及与]+)",
    re.IGNORECASE)


def _key(word):
    return _SPACES.sub("", word).casefold()


def _quote(text, limit=60):
    return f"'{text}'" if len(text) <= limit else f"'{text[:limit]}…'"


def _day_span(first, last):
    """Days first..last, wrapping past Sunday: 周五至周一 is Fri, Sat, Sun, Mon."""
    if last is None:
        return [first]
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]


def _minutes(match, name, kind):
    """Minutes since midnight of one end of a range read with its part of the day; None if it is not a time in it."""
    hours = int(match.group(name + "h"))
    minutes = 30 if match.group(name + "half") else int(match.group(name + "m") or match.group(name + "n") or 0)
    if kind == "am":
        hours = hours if hours <= 12 else -1
    elif kind == "noon":
        hours = hours + 12 if 1 <= hours <= 2 else (hours if 11 <= hours <= 14 else -1)
    elif kind == "pm":
        hours = hours + 12 if 1 <= hours <= 11 else (hours if 12 <= hours <= 23 else -1)
    elif kind == "night":
        hours = hours + 12 if 5 <= hours <= 12 else (hours if 17 <= hours <= 24 else -1)
    elif kind == "early":
        hours = hours if hours <= 6 else -1
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _span(match):
    """(start, end) of a time range token; ValueError saying why it cannot be read."""
    first, second = match.group("q1"), match.group("q2")
    start_kind = _QUALIFIERS[_key(first)] if first else None
    end_kind = _QUALIFIERS[_key(second)] if second else start_kind
    written = match.group("ah")
    if start_kind in (None, "day") and len(written) == 1 and 1 <= int(written) <= 5:
        raise ValueError(msg("it could be morning or afternoon: put 上午 or 下午 before it, "
                             "or write 24-hour times (14:00-17:00)"))
    start, end = _minutes(match, "a", start_kind), _minutes(match, "b", end_kind)
    for value, qualifier, clock in ((start, first, "a"), (end, second or first, "b")):
        if value is None:
            hour = match.group(clock + "h")
            if qualifier:
                raise ValueError(msg("{hour} is not an hour of {qualifier}", hour=hour, qualifier=qualifier))
            raise ValueError(msg("{hour} is not an hour of the day", hour=hour))
    if end <= start:
        raise ValueError(msg("it does not end after it starts (a slot cannot pass midnight)"))
    return f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"


def _read_part(part):
    """One part -> [(days or None, spans or None, text)], a group per run of days and the times after them.

    Days named before a time share it ('周六周日上午'); a part may give its time before its day ('9-12 Sat').
    """
    runs = []  # [kind, values, start, end]: consecutive days, or consecutive times
    pos = 0
    while pos < len(part):
        match = _TOKEN.match(part, pos)
        if match is None:
            stop = pos + 1
            while stop < len(part) and not _TOKEN.match(part, stop):
                stop += 1
            bad = part[pos:stop]
            if bad != part:
                raise ValueError(msg("cannot read {part} as days and times: {bad} is not a day or a time",
                                     part=_quote(part), bad=_quote(bad)))
            raise ValueError(msg("cannot read {part} as days and times", part=_quote(part)))
        kind = match.lastgroup if match.lastgroup in ("range", "group", "period", "filler") else None
        if kind == "range":
            try:
                values = [_span(match)]
            except ValueError as exc:
                written = match.group().strip()
                if written != part:
                    raise ValueError(msg("cannot read the time {time} in {part}: {why}", time=_quote(written),
                                         part=_quote(part), why=exc.args[0])) from None
                raise ValueError(msg("cannot read the time {time}: {why}", time=_quote(written), why=exc.args[0])) from None
        elif kind == "period":
            values = [PERIODS[_key(match.group())]]
        elif kind == "group":
            word = _key(match.group())
            if word in _EVERY_DAY and runs and runs[-1][0] == "days":
                kind = "filler"  # '周一到周五每天晚上': the days named already
            values = list(DAY_GROUPS[word])
        elif kind is None:
            if match.group("zh1"):
                values = _day_span(_ZH_DAY[match.group("zh1")], _ZH_DAY[match.group("zh2")] if match.group("zh2") else None)
            else:
                first, last = match.group("en1"), match.group("en2")
                values = _day_span(_EN_DAY[first.casefold()], _EN_DAY[last.casefold()] if last else None)
        if kind != "filler":
            run_kind = "times" if kind in ("range", "period") else "days"
            if runs and runs[-1][0] == run_kind:
                runs[-1][1].extend(values)
                runs[-1][3] = match.end()
            else:
                runs.append([run_kind, values, match.start(), match.end()])
        pos = match.end()
    if not runs:
        raise ValueError(msg("cannot read {part} as days and times", part=_quote(part)))
    if runs[0][0] == "times" and len(runs) == 2:  # '9-12 Sat', '上午 周六'
        runs = [runs[1], runs[0]]
    elif runs[0][0] == "times" and len(runs) > 2:
        raise ValueError(msg("cannot read {part} as days and times: put each day before its times", part=_quote(part)))
    groups = []  # [days, spans, start, end]
    for kind, values, start, end in runs:
        if kind == "days":
            groups.append([sorted(set(values)), None, start, end])
        elif groups and groups[-1][1] is None:
            groups[-1][1:] = [values, min(start, groups[-1][2]), max(end, groups[-1][3])]
        else:
            groups.append([None, values, start, end])
    return [(days, spans, part[start:end].strip()) for days, spans, start, end in groups]


def parse_availability(text):
    """Weekly slots for an availability phrase (see _parse_availability); a fresh list each call."""
    return [dict(slot) for slot in _parse_availability(text)]


@functools.lru_cache(maxsize=4096)
def _parse_availability(text):
    """Availability phrases from real forms -> weekly slots; ValueError quoting what cannot be read.

    '周末' -> Sat and Sun 08:00-21:00; '周六上午' -> Sat 08:00-12:00; '工作日晚上' -> Mon-Fri 19:00-21:30;
    '周一至周五 19:00-21:00'; '下午2点-5点' -> every day 14:00-17:00; '晚上7:00-9:00' -> 19:00-21:00;
    '周六上午；周日下午2点-5点'; 'Sat 9-12'. Every character is read or the phrase is refused, never guessed.

    A part naming times but no day takes the days of the part before it ('周六上午、下午'); a part naming days but
    no time is all day ('周末'), unless the next part gives times only ('周一至周五，晚上7点到9点'). A day-only part
    listed (、，,/) before a part with days and times of its own ('周一、周三晚上') is refused: it could be all day
    or share those times.
    """
    text = unicodedata.normalize("NFKC", text)
    slots = _plain_days_and_times(text)
    if slots is not None:
        return slots
    groups = []  # [days or None, spans or None, text, separator before it: None (same part), "list" or "phrase"]
    pieces = _PART.split(text)  # text, separator, text, ...
    separator = None
    for i in range(0, len(pieces), 2):
        part = pieces[i].strip()
        if part:
            for j, group in enumerate(_read_part(part)):
                groups.append([*group, separator if j == 0 else None])
            separator = None
        if i + 1 < len(pieces) and separator != "phrase":
            separator = "phrase" if _PHRASE_END.search(pieces[i + 1]) else "list"
    slots, previous_days = [], None
    for i, (days, spans, quoted, _) in enumerate(groups):
        if spans is None:
            following = groups[i + 1] if i + 1 < len(groups) else None
            if following is not None and following[1] is not None:
                if following[0] is None:  # '周一至周五，晚上7点到9点': these days, those times
                    previous_days = days
                    continue
                if following[3] == "list":
                    raise ValueError(msg("cannot tell whether {day} is all day or shares the times of {times}: "
                                         "name its times ({written}全天 for all day)",
                                         day=_quote(quoted), times=_quote(following[2]), written=quoted))
            spans = [PERIODS["全天"]]
        days = days or previous_days or _ALL_WEEK
        previous_days = days
        slots.extend({"day": DAYS[d], "start": s, "end": e} for d in days for s, e in spans)
    return list({(s["day"], s["start"], s["end"]): s for s in slots}.values())


# The commonest phrase of a form with a slot per part, '周三 08:30-11:15、周六 14:00-17:30', read without the general
# reader (a form whose cells rarely repeat pays it on every row). It gives what the reader gives, or None: then the
# reader reads the phrase, and words what it refuses.
_PLAIN_PART = re.compile(r"周([一二三四五六日天七]) ?([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")


def _plain_days_and_times(text):
    """Slots of a phrase of parts '周X HH:MM-HH:MM' joined by '、', or None for any other phrase or a time out of range."""
    slots = {}
    for part in text.split("、"):
        match = _PLAIN_PART.fullmatch(part)
        if match is None:
            return None
        day, start_hour, start_minute, end_hour, end_minute = match.groups()
        start, end = int(start_hour) * 60 + int(start_minute), int(end_hour) * 60 + int(end_minute)
        if int(start_minute) >= 60 or int(end_minute) >= 60 or not start < end <= 24 * 60:
            return None
        slot = {"day": DAYS[_ZH_DAY[day]], "start": f"{start_hour}:{start_minute}", "end": f"{end_hour}:{end_minute}"}
        slots.setdefault((slot["day"], slot["start"], slot["end"]), slot)
    return list(slots.values())
