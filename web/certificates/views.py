"""HTTP routes: a person's service-record certificate (志愿服务记录证明) as an A4 PDF."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.context import current_principal
from ..services import certificates
from .schemas import CertificateQuerySchema

# The answer is a Response (PDF bytes): flask-smorest documents this raw schema and serialises nothing.
PDF_BODY = {"type": "string", "format": "binary"}

blp = Blueprint("certificates", __name__, url_prefix="/api/v1", description="Service-record certificates")


@blp.route("/volunteers/<int(max=2147483647):volunteer_id>/certificate")
class Certificate(MethodView):
    @blp.arguments(CertificateQuerySchema, location="query")
    @blp.response(200, PDF_BODY, content_type="application/pdf",
                  description="A4 PDF: the confirmed services with their total, the ID number masked")
    def get(self, query, volunteer_id):
        """A person's service-record certificate (志愿服务记录证明) as a PDF (the person, or admins)."""
        pdf = certificates.certificate(current_principal(), volunteer_id, query["lang"])
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="certificate-{volunteer_id}.pdf"',
            "Cache-Control": "no-store"})
