"""Validation and masking of personal data: Chinese mobile numbers and resident ID numbers."""
import datetime as dt
import operator
import re
import unicodedata

from ..common.text import msg

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-().\u00a0]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# str.isdigit() also accepts other scripts' digits (e.g. Devanagari, Arabic-Indic) that NFKC keeps as they are.
_ASCII_ONLY = msg("must be written with the digits 0-9")
# First two digits of a resident ID: the province-level division of registration.
_PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91",
}


def normalize_phone(raw):
    """Return the 11-digit form of a Chinese mobile number, or raise ValueError saying why."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(raw)))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    if not text.isdigit():
        raise ValueError(msg("must contain only digits, spaces, dashes and an optional +86 prefix"))
    if not text.isascii():
        raise ValueError(_ASCII_ONLY)
    if len(text) != 11:
        raise ValueError(msg("must be an 11-digit mobile number, got {len_text} digits", len_text=len(text)))
    if not _MOBILE.fullmatch(text):
        raise ValueError(msg("is not a Chinese mobile number (11 digits starting 13-19)"))
    return text


def id_check_char(first17):
    """GB 11643 check character for the first 17 digits of a resident ID number."""
    if first17.isascii() and first17.isdigit():  # the digits' byte values, less 48 ("0") each
        total = sum(map(operator.mul, first17.encode(), _ID_WEIGHTS)) - _ASCII_ZEROS
    else:
        total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


_ASCII_ZEROS = ord("0") * sum(_ID_WEIGHTS)


def normalize_id_number(raw, today=None):
    """Return a validated 18-character resident ID number (upper-case X), or raise ValueError."""
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").upper()
    if len(text) != 18:
        raise ValueError(msg("must have 18 characters, got {len_text}", len_text=len(text)))
    if not (text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        raise ValueError(msg("must be 17 digits followed by a digit or X"))
    if not text.isascii():
        raise ValueError(_ASCII_ONLY)
    if text[:2] not in _PROVINCE_CODES:
        raise ValueError(msg("region code {text_6} is not a Chinese administrative division", text_6=text[:6]))
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValueError(msg("birth date {text_6_14} is not a real date", text_6_14=text[6:14])) from None
    today = today or dt.date.today()
    if born.year < 1900 or born > today:
        raise ValueError(msg("birth date {born_isoformat} is not plausible", born_isoformat=born.isoformat()))
    if id_check_char(text[:17]) != text[17]:
        raise ValueError(msg("check digit does not match (GB 11643)"))
    return text


def mask_id_number(value):
    """Show only the first four and last four characters of a resident ID number."""
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value):
    """Show only the first three and last four digits of a mobile number."""
    if not value:
        return value
    return value[:3] + "****" + value[-4:]
