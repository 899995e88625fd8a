"""Write many rows of one table through the driver's executemany, converting repeated values once.

SQLAlchemy Core's executemany runs every value of every row through its column type (JSON lists
become text, aware datetimes UTC) and builds a parameter dict per row. An import of 100,000 people
repeats a few hundred skill lists and one timestamp per batch, so a BulkWriter compiles each
statement once, converts each distinct value once with the column type's own bind processor (the
very function Core would call) and hands plain rows to the driver.
"""
import operator

from sqlalchemy import bindparam, insert, update

MAX_REMEMBERED = 4096  # converted values kept per column


class BulkWriter:
    """executemany INSERTs and UPDATEs of one table in the session's current transaction."""

    def __init__(self, session, table):
        self.session, self.table = session, table
        self.dialect = session.get_bind().dialect
        self.processors = {c.key: c.type.dialect_impl(self.dialect).bind_processor(self.dialect) for c in table.columns}
        self.memo = {key: {} for key in self.processors}
        self.compiled = {}

    def insert(self, rows):
        """INSERT `rows`: dicts with the same keys (column keys)."""
        if rows:
            keys = tuple(rows[0])
            self._run(("insert", keys), lambda: insert(self.table).values({k: bindparam(k) for k in keys}), rows)

    def update(self, rows, key="id"):
        """UPDATE the row whose `key` column equals each row's `key` value, setting its other keys.

        Columns with an `onupdate` default keep their value unless the rows give one.
        """
        if rows:
            keys = tuple(rows[0])
            kept = {c.key: c for c in self.table.columns if c.onupdate is not None and c.key not in keys}
            statement = lambda: update(self.table).where(self.table.c[key] == bindparam("_" + key)).values(
                {k: bindparam(k) for k in keys if k != key} | kept)
            self._run(("update", keys, key), statement, [{**row, "_" + key: row[key]} for row in rows])

    def _run(self, shape, statement, rows):
        compiled = self.compiled.get(shape)
        if compiled is None:
            compiled = self.compiled[shape] = statement().compile(dialect=self.dialect)
        column = {name: name.removeprefix("_") for name in compiled.binds}  # bind name -> column key
        missing = set(column) - set(rows[0])  # columns Core would fill from their defaults
        if missing:
            defaults = {name: self._default(column[name]) for name in missing}
            rows = [{**defaults, **row} for row in rows]
        names = compiled.positiontup if self.dialect.positional else list(column)
        pick = operator.itemgetter(*names)
        convert = [(i, column[name]) for i, name in enumerate(names) if self.processors[column[name]] is not None]
        params = []
        for row in rows:
            values = list(pick(row)) if len(names) > 1 else [pick(row)]
            for i, key in convert:
                if values[i] is not None:
                    values[i] = self._convert(key, values[i])
            params.append(tuple(values) if self.dialect.positional else dict(zip(names, values)))
        self.session.connection().exec_driver_sql(compiled.string, params)

    def _default(self, key):
        """A column's constant default (a callable default must be given in the rows)."""
        default = self.table.c[key].default
        if default is None or not default.is_scalar:
            raise ValueError(f"{self.table.name}.{key}: give a value (its default is not a constant)")
        return default.arg

    def _convert(self, key, value):
        """`value` as the column type binds it; a repeated value is converted once."""
        process, memo = self.processors[key], self.memo[key]
        if type(value) in (float, int):
            return process(value)  # cheap, and mostly distinct (coordinates)
        # A key that tells apart values a column may treat differently (1 and True; equal lists).
        mkey = (type(value), repr(value)) if isinstance(value, (list, dict)) else (type(value), value)
        done = memo.get(mkey)
        if done is None:
            done = process(value)
            if len(memo) < MAX_REMEMBERED:
                memo[mkey] = done
        return done
