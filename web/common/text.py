"""Messages that can be said in the reader's language, written where they arise (services, the policy,
schemas) without Flask.

`msg("task {task} has not started yet", task=7)` is a `str` holding the English sentence, so code and
logs that treat it as text keep working; it also remembers its template and values, so the error
handler (`web.i18n.say`) can look the template up in the message catalogue and fill in the same
values. `msg` is the keyword pybabel extracts (`babel.cfg`); templates use `str.format` fields.
"""


class Text(str):
    """English text that keeps its template and the values put into it.

    `format` returns a `Text` again: marshmallow formats its templates once at import and once more
    with the value at fault (`Range`: "Must be {min_op} {{min}}." then `{min}`), and every step is kept.
    """

    template: str
    steps: tuple[dict, ...]

    def __new__(cls, template, /, **params):
        shown = {key: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
                 for key, value in params.items()}  # a list reads as one, comma-separated
        text = super().__new__(cls, template.format(**shown) if params else template)
        text.template, text.steps = str(template), (params,) if params else ()
        return text

    def format(self, /, *args, **params):
        if args:  # positional fields are not used by our templates or marshmallow's
            return str.format(self, *args, **params)
        text = str.__new__(Text, str.format(self, **params))
        text.template, text.steps = self.template, (*self.steps, params)
        return text

    def __reduce__(self):  # rows prepared in other processes come back pickled: keep what can be translated
        return _rebuild, (str(self), self.template, self.steps)


def _rebuild(english, template, steps):
    text = str.__new__(Text, english)
    text.template, text.steps = template, steps
    return text


def english(text):
    """A message, or a list of them, as English text (where no reader's language applies: the command line)."""
    return ", ".join(map(english, text)) if isinstance(text, list | tuple) else str(text)


def msg(template, /, **params):
    """A message for a person: English here, translated when it is shown (the catalogue's keyword)."""
    return Text(template, **params)
