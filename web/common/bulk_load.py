"""Load many similar bodies with one marshmallow schema, validating each distinct field value once.

A city's export of 100,000 people repeats a few hundred skill lists, addresses and weekly
patterns. `BulkLoader(schema).load(body)` returns exactly what `schema.load(body)` returns, but
remembers per field what each distinct value loaded to, so a repeated cell costs a dictionary
lookup instead of marshmallow's whole field machinery. Anything unusual goes to the schema itself:

- a body with a problem (a field error, a missing required field, an unknown key, an error from
  a post_load hook) is loaded again by `schema.load`, so the errors are the schema's own, word
  for word;
- a schema with hooks this class does not reproduce (anything but BaseSchema's per-value string
  cleaning before the load, and post_load hooks after it) is always loaded by the schema.

tests/test_bulk_load.py checks on generated bodies that both give the same data or the same errors.
"""
from marshmallow import RAISE, ValidationError, missing
from marshmallow.decorators import POST_DUMP, POST_LOAD, PRE_DUMP, PRE_LOAD

from .schemas import BaseSchema, clean_text

MAX_REMEMBERED = 4096  # distinct values kept per field; unique columns (names, phones) stop there


def _fresh(value):
    """A copy of a remembered result's lists and dicts, so callers may change what they get."""
    if type(value) is list:
        return [_fresh(v) if type(v) in _MUTABLE else v for v in value]
    return {k: _fresh(v) if type(v) in _MUTABLE else v for k, v in value.items()}


_MUTABLE = (list, dict)
_UNSEEN = object()  # not `missing`: a field without a default loads an absent value as `missing`
_BY_SCHEMA = object()  # the plan of bodies that always go to the schema


class Memo:
    """Results remembered per value (at most MAX_REMEMBERED): strings are their own key; a list or
    dict is found by identity when the very same object comes again (a caller that reuses one list
    for a repeated cell saves working out its key), else by `value_key`."""

    __slots__ = ("by_id", "by_value")

    def __init__(self):
        self.by_value, self.by_id = {}, {}  # by_id: id -> (the object, kept so its id stays its own; result)

    def get(self, value):
        """The remembered result, or _UNSEEN."""
        if type(value) is str:
            return self.by_value.get(value, _UNSEEN)
        if type(value) in _MUTABLE:
            seen = self.by_id.get(id(value))
            if seen is not None and seen[0] is value:
                return seen[1]
        result = self.by_value.get(() if value is missing else value_key(value), _UNSEEN)
        if result is not _UNSEEN and type(value) in _MUTABLE and len(self.by_id) < MAX_REMEMBERED:
            self.by_id[id(value)] = (value, result)
        return result

    def put(self, value, result):
        if len(self.by_value) < MAX_REMEMBERED:
            self.by_value[value if type(value) is str else () if value is missing else value_key(value)] = result


def value_key(value):
    """A dictionary key for a value that tells apart what fields and columns treat differently
    (1, 1.0 and True; a list and a tuple); quick for the commonest lists, those of strings."""
    if type(value) is list and all(type(item) is str for item in value):
        return list, tuple(value)
    if type(value) not in _MUTABLE:
        try:
            hash(value)
            return type(value), value
        except TypeError:
            pass
    return type(value), repr(value)


def _plain_default(field):
    """Whether a field's default is the same each time (a constant, or a new empty list or dict)."""
    return not callable(field.load_default) or field.load_default in (list, dict)


class BulkLoader:
    """`schema.load` for a stream of similar bodies (see the module docstring)."""

    def __init__(self, schema, copy=True):
        self.schema = schema
        self.copy = copy  # False: callers promise not to change the lists and dicts they get
        self.partial = schema.partial is True
        hooks = schema._hooks  # marshmallow's registry of decorated methods
        known = {PRE_LOAD, POST_LOAD, PRE_DUMP, POST_DUMP}
        self.fast = (
            isinstance(schema, BaseSchema)
            and schema.partial in (None, False, True)
            and schema.unknown == RAISE
            and not any(hooks[kind] for kind in hooks if kind not in known)
            and [name for name, *_ in hooks[PRE_LOAD]] == ["_clean_strings"]
        )
        self.fields = [(f.data_key or name, f.attribute or name, f, Memo()) for name, f in schema.load_fields.items()]
        self.names = {data_key for data_key, *_ in self.fields}
        self.kwargs = {"partial": schema.partial} if schema.partial is not None else {}
        self.plans = {}  # the keys of a body, in order -> the steps that load it (see _plan)
        # post_load hooks, called as marshmallow calls them for one body
        self.after = [(getattr(schema, name), bool(kwargs.get("pass_original"))) for name, many, kwargs in hooks[POST_LOAD]
                      if not many]
        self.fast = self.fast and all(not many for _, many, _ in hooks[POST_LOAD])

    def load(self, data):
        """What `self.schema.load(data)` gives: the loaded dict, or its ValidationError."""
        if not self.fast or type(data) is not dict:
            return self.schema.load(data)
        shape = tuple(data)
        plan = self.plans.get(shape)
        if plan is None:
            plan = self._plan(data)
            if len(self.plans) < MAX_REMEMBERED:
                self.plans[shape] = plan
        if plan is _BY_SCHEMA:
            return self.schema.load(data)
        result = {}
        for data_key, attribute, field, memo in plan:
            if data_key is None:  # absent, with a constant default: `field` holds the value
                value = field
            else:
                raw = data.get(data_key, missing)
                value = memo.get(raw)
                if value is _UNSEEN:
                    try:
                        value = field.deserialize(raw if raw is missing else clean_text(raw), data_key, data, **self.kwargs)
                    except ValidationError:
                        return self.schema.load(data)
                    if raw is not missing:
                        memo.put(raw, value)
            if self.copy and type(value) in _MUTABLE:
                value = _fresh(value)
            result[attribute] = value
        try:
            for hook, pass_original in self.after:
                if pass_original:
                    result = hook(result, data, many=False, partial=self.schema.partial, unknown=self.schema.unknown)
                else:
                    result = hook(result, many=False, partial=self.schema.partial, unknown=self.schema.unknown)
            return result
        except ValidationError:
            return self.schema.load(data)

    def _plan(self, data):
        """The steps for bodies with these keys: (data key, attribute, field, memo) per field that
        gives a value, with (None, attribute, value, None) for a constant default; or _BY_SCHEMA when
        such bodies always go to the schema (an unknown key, a required field missing)."""
        if not data.keys() <= self.names:
            return _BY_SCHEMA
        plan = []
        for data_key, attribute, field, memo in self.fields:
            if data_key in data:
                plan.append((data_key, attribute, field, memo))
            elif not self.partial:
                if not _plain_default(field):
                    plan.append((data_key, attribute, field, memo))  # a default made anew each time
                    continue
                try:
                    value = field.deserialize(missing, data_key, data, **self.kwargs)
                except ValidationError:
                    return _BY_SCHEMA  # a required field is missing
                if value is not missing:
                    plan.append((None, attribute, value, None))
        return plan
