"""The reader's language for the API's messages (Flask-Babel, catalogues in web/translations).

A caller asks with `Accept-Language` (the console and the volunteer's pages send their page's
language); without it the API answers in English, as scripts expect. Messages are written in English
with `web.common.text.msg`; `say` turns one into the reader's language from the catalogue. marshmallow's
own messages ("Missing data for required field.", "Must be greater than or equal to 1.") are wrapped
the same way when the app starts, so per-field errors are translated too.

Catalogues: `scripts/catalogue.sh` extracts every `msg("...")` (and the matcher's `N_("...")`), merges
them into web/translations/zh/LC_MESSAGES/messages.po and compiles it (tests/test_i18n.py checks that
nothing is left untranslated and that the compiled catalogue matches the text one).
"""
import os

from flask import current_app, has_request_context, request
from flask_babel import Babel, get_locale, gettext
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import LanguageAccept

from .common.text import Text, msg

LANGUAGES = ("zh", "en")
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")
babel = Babel()


def select_language():
    """The best of Chinese and English for this request by Accept-Language (zh-CN counts as zh); else English."""
    return asked_language() or "en"


def init_app(app):
    babel.init_app(app, locale_selector=select_language, default_translation_directories=TRANSLATIONS)


def asked_language():
    """The language the caller asked for with Accept-Language ('zh' or 'en'), or None when they did not ask
    for one of them (no header, or only `*`, which many HTTP clients send by default)."""
    if not has_request_context():
        return None
    named = [(value, quality) for value, quality in request.accept_languages if value != "*"]
    return LanguageAccept(named).best_match(LANGUAGES) if named else None


def language():
    """The language of the current request's answers ('zh' or 'en')."""
    return str(get_locale() or "en") if has_request_context() and current_app else "en"


# Words that messages put into their sentences (a task's or an assignment's status, a role): said too.
WORDS = {str(word) for word in (
    msg("open"), msg("filled"), msg("cancelled"), msg("done"), msg("expired"), msg("invited"), msg("accepted"),
    msg("declined"), msg("completed"), msg("no_show"), msg("proposing"), msg("proposed"), msg("committed"),
    msg("failed"), msg("queued"), msg("running"), msg("pending"), msg("verified"), msg("rejected"),
    msg("confirmed"), msg("volunteer"), msg("social_worker"), msg("coordinator"), msg("admin"), msg("any"),
    msg("task"), msg("plan"), msg("service record"), msg("import"), msg("picture"),
    msg("phone"), msg("id_number"), msg("external_id"), msg("nothing"))}

# Tests set a set here: every message said that the Chinese catalogue does not translate is added to it.
untranslated: set[str] | None = None


def say(text):
    """`text` in the reader's language: a `msg` by its template and values, a plain string by itself."""
    if isinstance(text, list | tuple):
        return ", ".join(str(_value(item)) for item in text)  # a list put into a message: its items as values
    if isinstance(text, Text):
        said = _gettext(text.template)
        try:
            for params in text.steps:
                said = said.format(**{key: _value(value) for key, value in params.items()})
        except (KeyError, IndexError, ValueError):  # a translation that does not fit its values: never a 500
            return str(text)
        return said
    if isinstance(text, str) and text:
        return _gettext(text)
    return text


def _value(value):
    if isinstance(value, Text | list | tuple):
        return say(value)
    return gettext(value) if isinstance(value, str) and value in WORDS else value


def _gettext(template):
    if untranslated is not None and template not in chinese():
        untranslated.add(template)
    return gettext(template)


def chinese():
    """The Chinese catalogue's messages ({English template: Chinese})."""
    global _chinese
    if _chinese is None:
        from babel.support import Translations

        _chinese = Translations.load(TRANSLATIONS, ["zh"])._catalog
    return _chinese


_chinese = None


def say_all(errors):
    """Every message inside a {field: [message]} map (nested for nested schemas) in the reader's language."""
    if isinstance(errors, dict):
        return {key: say_all(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [say_all(value) for value in errors]
    return say(errors)


# ---------------------------------------------------------------- marshmallow's own messages

_VALIDATOR_TEXTS = {
    validate.Range: ("message_min", "message_max", "message_all", "message_gte", "message_gt", "message_lte",
                     "message_lt"),
    validate.Length: ("message_min", "message_max", "message_all", "message_equal"),
    validate.OneOf: ("default_message",),
    validate.NoneOf: ("default_message",),
    validate.ContainsOnly: ("default_message",),
    validate.Regexp: ("default_message",),
    validate.Email: ("default_message",),
    validate.URL: ("default_message",),
    validate.Equal: ("default_message",),
    validate.Predicate: ("default_message",),
}


def _subclasses(cls):
    yield cls
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


def wrap_marshmallow_messages():
    """Make marshmallow's message templates `Text`, so what it formats remembers its template (idempotent).

    A field or validator copies its class's messages when it is made, so this runs when this module is
    imported, and `web/__init__` imports it before any schema is defined."""
    for cls in _subclasses(fields.Field):
        for klass in cls.__mro__:
            own = klass.__dict__.get("default_error_messages")
            if own:
                for key, value in own.items():
                    if isinstance(value, str) and not isinstance(value, Text):
                        own[key] = msg(value)
    for cls, names in _VALIDATOR_TEXTS.items():
        for name in names:
            value = getattr(cls, name, None)
            if isinstance(value, str) and not isinstance(value, Text):
                setattr(cls, name, msg(value))
    for key, value in Schema._default_error_messages.items():
        if isinstance(value, str) and not isinstance(value, Text):
            Schema._default_error_messages[key] = msg(value)


def marshmallow_messages():
    """Every marshmallow template the app can show (for the catalogue test)."""
    wrap_marshmallow_messages()
    found = set()
    for cls in _subclasses(fields.Field):
        for value in (cls.__dict__.get("default_error_messages") or {}).values():
            found.add(str(getattr(value, "template", value)))
    for cls, names in _VALIDATOR_TEXTS.items():
        found.update(str(getattr(cls, name)) for name in names if hasattr(cls, name))
    found.update(str(v) for v in Schema._default_error_messages.values())
    return found


# marshmallow's messages, named here for the catalogue (tests/test_i18n.py checks none is missing).
MARSHMALLOW = (
    msg("Invalid JSON body."),  # webargs'
    msg('"{input}" cannot be formatted as a date.'),
    msg('"{input}" cannot be formatted as a {obj_type}.'),
    msg("Field may not be null."),
    msg("Invalid input type."),
    msg("Invalid input."),
    msg("Invalid type."),
    msg("Invalid value."),
    msg("Length must be between {min} and {max}."),
    msg("Length must be {equal}."),
    msg("Longer than maximum length {max}."),
    msg("Missing data for required field."),
    msg("Must be equal to {other}."),
    msg("Must be one of: {choices}."),
    msg("Must be {max_op} {{max}}."),
    msg("Must be {min_op} {{min}} and {max_op} {{max}}."),
    msg("Must be {min_op} {{min}}."),
    msg("Not a valid IP address."),
    msg("Not a valid IP interface."),
    msg("Not a valid IPv4 address."),
    msg("Not a valid IPv4 interface."),
    msg("Not a valid IPv6 address."),
    msg("Not a valid IPv6 interface."),
    msg("Not a valid URL."),
    msg("Not a valid UUID."),
    msg("Not a valid boolean."),
    msg("Not a valid date."),
    msg("Not a valid delimited list."),
    msg("Not a valid delimited tuple."),
    msg("Not a valid email address."),
    msg("Not a valid integer."),
    msg("Not a valid list."),
    msg("Not a valid mapping type."),
    msg("Not a valid number."),
    msg("Not a valid period of time."),
    msg("Not a valid string."),
    msg("Not a valid tuple."),
    msg("Not a valid utf-8 string."),
    msg("Not a valid {awareness} {obj_type}."),
    msg("Not a valid {obj_type}."),
    msg("Number too large."),
    msg("One or more of the choices you made was not in: {choices}."),
    msg("Shorter than minimum length {min}."),
    msg("Special numeric values (nan or infinity) are not permitted."),
    msg("String does not match expected pattern."),
    msg("Unknown field."),
    msg("greater than"),
    msg("greater than or equal to"),
    msg("less than"),
    msg("less than or equal to"),
    msg("{input!r} cannot be formatted as a timedelta."),
)
# Words marshmallow puts into its messages.
WORDS.update(str(word) for word in (msg("datetime"), msg("date"), msg("time"), msg("aware"), msg("naive")))


wrap_marshmallow_messages()
