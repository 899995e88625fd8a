"""Serve the console page in Chinese (default) or English; everything else it does goes through the API."""
from flask import Blueprint, make_response, render_template, request

from .text import TEXT

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/console/static")

# The page runs only its own script and style; pictures may come from blob: URLs (fetched PNGs).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def _language():
    """?lang= wins (and is remembered in a cookie), then the cookie; Chinese by default."""
    asked = request.args.get("lang") or request.cookies.get("vm_lang")
    return asked if asked in TEXT else "zh"


@bp.route("/console")
@bp.route("/console/")
def console():
    """The console: sign in with a coordinator token, then tasks, candidates, plans, coverage, imports."""
    lang = _language()
    response = make_response(render_template("console.html", lang=lang, t=TEXT[lang], text=TEXT[lang]))
    if request.args.get("lang") in TEXT:
        response.set_cookie("vm_lang", lang, max_age=365 * 86400, samesite="Lax")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response
