"""The certificate's query: the labels' language."""
from marshmallow import fields, validate

from ..common.certificate_pdf import LANGUAGES
from ..common.schemas import BaseSchema


class CertificateQuerySchema(BaseSchema):
    """Chinese labels (the default) or English ones."""

    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES),
                         metadata={"description": "`zh` (default) or `en`: the labels' language"})
