"""Cleaning of messy spreadsheet cells: phones in float form, skill lists, availability phrases."""
import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

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
    "休息日": (5, 6), "工作日": (0, 1, 2, 3, 4), "每天": tuple(range(7)), "每日": tuple(range(7)),
    "天天": tuple(range(7)), "weekend": (5, 6), "weekends": (5, 6), "weekday": (0, 1, 2, 3, 4),
    "weekdays": (0, 1, 2, 3, 4), "daily": tuple(range(7)), "everyday": tuple(range(7)), "holidays": (5, 6),
}
_EXCEL_NUMBER = re.compile(r"\d+(\.\d+)?[eE]\+?\d+|\d{11}\.0+")
_SPLIT = re.compile(r"[、，,;；/\n|]+|\s{2,}")
_LIST_SPLIT = re.compile(r"[、，,;；/|\s]+")
_TIME = r"(\d{1,2})(?:[:：点.](\d{2}))?(?:点|时)?"
_RANGE = re.compile(_TIME + r"\s*(?:-|–|—|~|～|至|到|to)\s*" + _TIME)
_ZH_DAY_RE = re.compile(r"(?:每周|周|星期|礼拜)([一二三四五六日天七])"
                        r"(?:\s*(?:至|到|-|~|～)\s*(?:每周|周|星期|礼拜)?([一二三四五六日天七]))?")
_EN_DAY_RE = re.compile(r"\b(" + "|".join(sorted(_EN_DAY, key=len, reverse=True)) + r")\b(?:\s*(?:-|–|to)\s*\b("
                        + "|".join(sorted(_EN_DAY, key=len, reverse=True)) + r")\b)?")


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
            raise ValueError(f"'{text}' is Excel's rounded number form and has lost digits; export the column as text")
        if number == number.to_integral_value():
            return str(int(number))
    return text


def split_list(text):
    """'心理疏导、法律援助，手语' -> ['心理疏导', '法律援助', '手语'] (duplicates dropped)."""
    if not text:
        return []
    return list(dict.fromkeys(part for part in _LIST_SPLIT.split(text) if part))


def _take_words(segment, table):
    """The values of the table's words found in a phrase (longest first), and the phrase without them."""
    found = []
    for word, value in sorted(table.items(), key=lambda kv: -len(kv[0])):
        if word in segment:
            found.append(value)
            segment = segment.replace(word, " ")
    return found, segment


def _days_in(segment):
    """The days a phrase names, and the phrase with them removed."""
    groups, segment = _take_words(segment, DAY_GROUPS)
    days = [d for group in groups for d in group]
    for match in _ZH_DAY_RE.finditer(segment):
        first, last = _ZH_DAY[match.group(1)], match.group(2)
        days.extend(range(first, _ZH_DAY[last] + 1) if last else [first])
    segment = _ZH_DAY_RE.sub(" ", segment)
    for match in _EN_DAY_RE.finditer(segment):
        first, last = _EN_DAY[match.group(1)], match.group(2)
        days.extend(range(first, _EN_DAY[last] + 1) if last else [first])
    segment = _EN_DAY_RE.sub(" ", segment)
    return sorted(set(days)), segment


def _hhmm(hours, minutes):
    hours, minutes = int(hours), int(minutes or 0)
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError
    return f"{hours:02d}:{minutes:02d}"


def _times_in(segment):
    """The time ranges a phrase names, and the phrase with them removed."""
    spans, segment = _take_words(segment, PERIODS)
    for match in _RANGE.finditer(segment):
        start, end = _hhmm(match.group(1), match.group(2)), _hhmm(match.group(3), match.group(4))
        if end <= start:
            raise ValueError
        spans.append((start, end))
    return spans, _RANGE.sub(" ", segment)


def parse_availability(text):
    """Weekly slots for an availability phrase (see _parse_availability); a fresh list each call."""
    return [dict(slot) for slot in _parse_availability(text)]


@functools.lru_cache(maxsize=4096)
def _parse_availability(text):
    """Availability phrases from real forms -> weekly slots; ValueError quoting what cannot be read.

    '周末' -> Sat and Sun 08:00-21:00; '周六上午' -> Sat 08:00-12:00; '工作日晚上' -> Mon-Fri
    19:00-21:30; '每周三下午'; '节假日' (read as weekends); '全天' (every day); 'Sat 9-12'.
    A part naming a time but no day takes the days of the part before it ('周六上午、下午').
    """
    slots, previous_days = [], None
    text = text.replace("点半", ":30")
    for segment in _SPLIT.split(text.casefold().replace("all day", "allday").replace("every day", "everyday")):
        if not segment.strip():
            continue
        try:
            days, rest = _days_in(segment)
            spans, rest = _times_in(rest)
        except ValueError:
            raise ValueError(f"cannot read the time in '{segment.strip()}'") from None
        if re.sub(r"[\s有空可以均都时间的和及与]+", "", rest):
            raise ValueError(f"cannot read '{segment.strip()}' as days and times")
        if not days and not spans:
            raise ValueError(f"cannot read '{segment.strip()}' as days and times")
        days = days or previous_days or list(range(7))
        spans = spans or [PERIODS["全天"]]
        previous_days = days
        slots.extend({"day": DAYS[d], "start": s, "end": e} for d in days for s, e in spans)
    return list({(s["day"], s["start"], s["end"]): s for s in slots}.values())
