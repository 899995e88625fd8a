"""Write many rows of one table fast: the driver's executemany (COPY on PostgreSQL), converting repeated values once.

SQLAlchemy Core's executemany runs every value of every row through its column type (JSON lists
become text, aware datetimes UTC) and builds a parameter dict per row. An import of 100,000 people
repeats a few hundred skill lists and one timestamp per batch, so a BulkWriter compiles each
statement once, converts each distinct value once with the column type's own bind processor (the
very function Core would call) and hands plain rows to the driver. tests/test_bulk_write.py checks
that what it stores is what Core stores, on SQLite and PostgreSQL.
"""
import operator

from sqlalchemy import Float, bindparam, func, insert, select, update

from .bulk_load import _UNSEEN, Memo

_NONE = object()


def _constant(default):
    """A column default's value when it is the same for every row: a constant, or `list`/`dict` (a new
    empty one each time, which stores as the same text); else _NONE."""
    if default is None:
        return _NONE
    if default.is_scalar:
        return default.arg
    made = getattr(default.arg, "__wrapped__", None) if default.is_callable else None  # SQLAlchemy wraps `list`
    return made() if made in (list, dict) else _NONE


class BulkWriter:
    """INSERTs (COPY on PostgreSQL) and UPDATEs of many rows of one table, in the session's transaction."""

    def __init__(self, session, table):
        self.session, self.table = session, table
        self.dialect = session.get_bind().dialect
        self.processors = {c.key: c.type.dialect_impl(self.dialect).bind_processor(self.dialect) for c in table.columns}
        self.memo = {key: Memo() for key in self.processors}
        self.floats = {c.key for c in table.columns if type(c.type) is Float and not c.type.asdecimal}
        self.compiled = {}

    def insert(self, rows, converted=False):
        """INSERT `rows`: dicts with the same keys (column keys); `converted` if they come from `convert`.

        On PostgreSQL (psycopg) the rows go through COPY, several times faster than INSERTs there.
        """
        if not rows:
            return
        keys = tuple(rows[0])
        # The columns Core would fill from their defaults (a computed default must be given instead).
        fill = {c.key: self._default(c.key) for c in self.table.columns if c.default is not None and c.key not in keys}
        if self.dialect.name == "postgresql" and self.dialect.driver == "psycopg":
            self._copy(keys, rows if converted else [self.convert(row) for row in rows], self.convert(fill))
            return
        if fill:
            fill = self.convert(fill) if converted else fill  # unconverted rows are converted with their fill
            rows = [{**fill, **row} for row in rows]
            keys = tuple(rows[0])
        self._run(("insert", keys), lambda: insert(self.table).values({k: bindparam(k) for k in keys}), rows, converted)

    def _copy(self, keys, rows, fill):
        """COPY rows (converted), and the converted constants `fill`, into the table within the session's transaction."""
        columns = (*keys, *fill)
        constants = tuple(fill.values())
        pick = operator.itemgetter(*keys)
        quoted = ", ".join(self.dialect.identifier_preparer.quote(c) for c in columns)
        raw = self.session.connection().connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {self.dialect.identifier_preparer.format_table(self.table)} "
                                                 f"({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(pick(row) + constants if len(keys) > 1 else (row[keys[0]], *constants))

    def convert(self, row, only=None):
        """A row (dict) with its values as the driver takes them, for `insert(..., converted=True)`;
        keys not in `only` (if given) are left out.

        Rows can be converted ahead, in other processes: only the dialect is needed.
        """
        processors = self.processors
        return {k: v if v is None or processors[k] is None else self._convert(k, v) for k, v in row.items()
                if only is None or k in only}

    def new_ids(self, count):
        """`count` primary key values for new rows, taken as the database would give them.

        PostgreSQL: from the column's sequence. SQLite: after the largest id, which is only safe
        once this transaction has written (SQLite then lets no one else write until it ends).
        """
        column = self.table.c.id
        if self.dialect.name == "postgresql":
            serial = func.pg_get_serial_sequence(self.table.name, column.name)
            return self.session.execute(select(func.nextval(serial)).select_from(func.generate_series(1, count))).scalars().all()
        first = self.session.execute(select(func.coalesce(func.max(column), 0))).scalar_one() + 1
        return list(range(first, first + count))

    def update(self, rows, key="id"):
        """UPDATE the row whose `key` column equals each row's `key` value, setting its other keys.

        Columns with an `onupdate` default keep their value unless the rows give one.
        """
        if rows:
            keys = tuple(rows[0])
            kept = {c.key: c for c in self.table.columns if c.onupdate is not None and c.key not in keys}

            def statement():
                return update(self.table).where(self.table.c[key] == bindparam("_" + key)).values(
                    {k: bindparam(k) for k in keys if k != key} | kept)

            self._run(("update", keys, key), statement, [{**row, "_" + key: row[key]} for row in rows])

    def _run(self, shape, statement, rows, converted=False):
        compiled = self.compiled.get(shape)
        if compiled is None:
            compiled = self.compiled[shape] = statement().compile(dialect=self.dialect, for_executemany=True)
        column = {name: name.removeprefix("_") for name in compiled.binds}  # bind name -> column key
        names = compiled.positiontup if self.dialect.positional else list(column)
        pick = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        params = [pick(row) for row in rows]
        if not converted:
            convert = [(i, column[name]) for i, name in enumerate(names) if self.processors[column[name]] is not None]
            params = [self._converted(values, convert) for values in params]
        if not self.dialect.positional:
            params = [dict(zip(names, values)) for values in params]
        self.session.connection().exec_driver_sql(compiled.string, params)

    def _converted(self, values, convert):
        values = list(values)
        for i, key in convert:
            if values[i] is not None:
                values[i] = self._convert(key, values[i])
        return tuple(values)

    def defaults(self):
        """Every column's constant default, {} for none: rows that start from these need no filling."""
        return {c.key: _constant(c.default) for c in self.table.columns if _constant(c.default) is not _NONE}

    def _default(self, key):
        """A column's constant default (a callable default must be given in the rows)."""
        value = _constant(self.table.c[key].default)
        if value is _NONE:
            raise ValueError(f"{self.table.name}.{key}: give a value (its default is not a constant)")
        return value

    def _convert(self, key, value):
        """`value` as the column type binds it; a repeated value is converted once."""
        process, memo = self.processors[key], self.memo[key]
        if type(value) is float and key in self.floats:
            return value  # a float column's processor makes numbers floats: nothing to do
        if type(value) in (float, int):
            return process(value)  # mostly distinct (coordinates): not remembered
        done = memo.get(value)
        if done is _UNSEEN:
            done = process(value)
            memo.put(value, done)
        return done
