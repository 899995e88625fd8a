"""flask-smorest pagination over SQLAlchemy select statements."""
from flask_smorest import Page
from sqlalchemy import func, select

from ..extensions import db


class SQLPage(Page):
    """Page through a `select()` with LIMIT/OFFSET and a COUNT(*) for the total."""

    @property
    def items(self):
        """Rows of the requested page."""
        params = self.page_params
        if params.first_item >= params.item_count:
            return []  # past the end (also keeps absurd page numbers out of OFFSET)
        stmt = self.collection.offset(params.first_item).limit(params.page_size)
        return db.session.scalars(stmt).all()

    @property
    def item_count(self):
        """Total rows matching the filters."""
        counted = self.collection.order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(counted))
