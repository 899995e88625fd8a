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

A value seen for the first time (a file whose cells do not repeat: its own coordinates, times and
skills on every row) takes a shortcut where the field is of a kind this module knows (`_quick`):
strings, numbers, nested schemas (coordinates, weekly slots) and lists of them are checked by
their own validators and schema-level validators without marshmallow's per-field machinery.
Where a shortcut cannot tell (another type, a missing or unknown key) the field itself is asked.

tests/test_bulk_load.py checks on generated bodies that both give the same data or the same errors.
"""
import math

from marshmallow import RAISE, ValidationError, fields, missing, utils
from marshmallow.decorators import POST_DUMP, POST_LOAD, PRE_DUMP, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

from .schemas import BaseSchema, SlotList, StringList, clean_text

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
    for a repeated cell saves working out its key), else by `value_key`. Once full, and then offered
    MAX_REMEMBERED more new values, it stops looking: that field's values do not repeat."""

    __slots__ = ("by_id", "by_value", "turned_away")

    def __init__(self):
        self.by_value, self.by_id = {}, {}  # by_id: id -> (the object, kept so its id stays its own; result)
        self.turned_away = 0  # new values not remembered since it is full

    def get(self, value):
        """The remembered result, or _UNSEEN."""
        if self.turned_away >= MAX_REMEMBERED:
            return _UNSEEN  # values that do not repeat (names, phones, coordinates): not worth a lookup
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
        else:
            self.turned_away += 1
            if self.turned_away == MAX_REMEMBERED:  # no more lookups (see get): what it holds is of no use
                self.by_value, self.by_id = {}, {}


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


_AS_IS = frozenset({int, float, bool, type(None)})


def _cleaned(value):
    """`clean_text(value)`, sooner for what bodies hold: numbers are left as they are, ASCII text
    only trimmed (NFKC leaves ASCII as it is; NUL still goes to clean_text, which refuses it), lists
    and dicts cleaned item by item, anything else by clean_text."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is str and value.isascii() and "\x00" not in value:
        return value.strip()
    if kind is list:
        return [_cleaned(v) for v in value]
    if kind is dict:
        return {k: _cleaned(v) for k, v in value.items()}
    return clean_text(value)


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
        self.fields = [(f.data_key or name, f.attribute or name, f, Memo(), _quick(f))
                       for name, f in schema.load_fields.items()]
        self.names = {data_key for data_key, *_ in self.fields}
        self.nested_partial = schema.partial
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
        for data_key, attribute, field, memo, quick in plan:
            if data_key is None:  # absent, with a constant default: `field` holds the value
                value = field
            else:
                raw = data.get(data_key, missing)
                remembers = memo.turned_away < MAX_REMEMBERED
                value = memo.get(raw) if remembers else _UNSEEN
                if value is _UNSEEN:
                    try:
                        if raw is missing:
                            value = field.deserialize(raw, data_key, data, **self.kwargs)
                        else:
                            cleaned = _cleaned(raw)
                            value = _UNSEEN if quick is None else quick(cleaned, self.nested_partial)
                            if value is _UNSEEN:
                                value = field.deserialize(cleaned, data_key, data, **self.kwargs)
                    except ValidationError:
                        return self.schema.load(data)
                    if raw is not missing and remembers:
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
        for data_key, attribute, field, memo, quick in self.fields:
            if data_key in data:
                plan.append((data_key, attribute, field, memo, quick))
            elif not self.partial:
                if not _plain_default(field):
                    plan.append((data_key, attribute, field, memo, quick))  # a default made anew each time
                    continue
                try:
                    value = field.deserialize(missing, data_key, data, **self.kwargs)
                except ValidationError:
                    return _BY_SCHEMA  # a required field is missing
                if value is not missing:
                    plan.append((None, attribute, value, None, None))
        return plan


# -- shortcuts for values seen once ------------------------------------------------------------------
#
# `_quick(field)` gives None, or `quick(value, partial)`: exactly what `field.deserialize(value,
# partial=partial)` gives for a cleaned value, or _UNSEEN where the shortcut cannot tell (the caller
# then asks the field). A validator's ValidationError propagates: the body then goes to the schema,
# which words the error. Only exact field classes are known: a subclass may read values differently.


def _quick(field):
    """The shortcut for a field (see above), or None."""
    if field.pre_load or field.post_load:
        return None
    kind = type(field)
    if kind is fields.String:
        return _quick_string(field)
    if kind is fields.Float:
        return _quick_float(field)
    if kind is fields.Nested:
        return _quick_nested(field)
    if kind in _LISTS:
        return _quick_list(field, _LISTS[kind])
    return None


def _quick_string(field):
    validators = tuple(field.validators)  # each may raise ValidationError, as the field runs them

    def quick(value, partial):
        if type(value) is not str:
            return _UNSEEN
        for validator in validators:
            validator(value)
        return value
    return quick


def _quick_float(field):
    validators = tuple(field.validators)
    if field.as_string:
        return None

    def quick(value, partial):
        if type(value) is not float or (field.allow_nan is False and not math.isfinite(value)):
            return _UNSEEN
        for validator in validators:
            validator(value)
        return value
    return quick


def _quick_nested(field):
    """A nested schema without hooks but its validators of the whole (a slot ends after it starts),
    given every one of its fields and no other key."""
    if field.many or field.only is not None or field.exclude or not isinstance(field.nested, type):
        return None
    schema = field.schema
    hooks = schema._hooks  # marshmallow's registry of decorated methods
    if (any(hooks[kind] for kind in hooks if kind not in (VALIDATES_SCHEMA, PRE_DUMP, POST_DUMP)) or hooks[VALIDATES]
            or any(many for _, many, _ in hooks[VALIDATES_SCHEMA]) or (field.unknown or schema.unknown) != RAISE):
        return None
    inner = [(f.data_key or name, f.attribute or name, _quick(f)) for name, f in schema.load_fields.items()]
    keys = frozenset(data_key for data_key, *_ in inner)
    if len(keys) != len(inner) or any(inner_quick is None for *_, inner_quick in inner):
        return None
    validators = [(getattr(schema, name), kwargs.get("pass_original", False)) for name, _, kwargs in hooks[VALIDATES_SCHEMA]]
    unknown = field.unknown or schema.unknown

    def quick(value, partial):
        if type(value) is not dict or value.keys() != keys:
            return _UNSEEN
        partial = schema.partial if partial is None else partial  # as Schema.load resolves it
        result = {}
        for data_key, attribute, inner_quick in inner:
            loaded = inner_quick(value[data_key], partial)
            if loaded is _UNSEEN:
                return _UNSEEN
            result[attribute] = loaded
        for validator, pass_original in validators:
            if pass_original:
                validator(result, value, partial=partial, many=False, unknown=unknown)
            else:
                validator(result, partial=partial, many=False, unknown=unknown)
        return result
    return quick


def _quick_list(field, after):
    """A list whose items have a shortcut; `after` does what the list class does to the items."""
    item_quick = _quick(field.inner)
    if item_quick is None:
        return None
    validators = tuple(field.validators)
    partial_of_items = False if type(field) is SlotList else None  # SlotList: a slot is always whole

    def quick(value, partial):
        if not utils.is_collection(value):
            return _UNSEEN
        items = []
        for item in value:
            loaded = item_quick(item, partial if partial_of_items is None else partial_of_items)
            if loaded is _UNSEEN:
                return _UNSEEN
            items.append(loaded)
        items = after(items)
        for validator in validators:
            validator(items)
        return items
    return quick


# The list classes whose reading of items is known: what each does to the items read.
_LISTS = {
    fields.List: lambda items: items,
    StringList: lambda items: list(dict.fromkeys(items)),  # duplicates dropped, order kept
    SlotList: lambda items: items,  # fresh dicts, as SlotList hands out
}
