"""Query helpers that differ between SQLite and PostgreSQL."""
from sqlalchemy import exists, func, literal_column, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from ..extensions import db


def json_array_contains(column, value):
    """SQL condition: the JSON list in `column` has `value` as one element."""
    if db.engine.dialect.name == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    # SQLite: json_each() turns the array into rows we can test.
    elements = func.json_each(column).table_valued("value")
    return exists(select(literal_column("1")).select_from(elements).where(elements.c.value == value))
