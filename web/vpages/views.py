"""Serve the volunteer's pages (/v, and /v/i/<link> for a one-tap invitation); everything they do goes
through the API. No build step: one template, one script, one stylesheet, as the console."""
from flask import Blueprint, make_response, render_template

from ..common.pages import CSP, page_language, remember_language
from .text import TEXT

bp = Blueprint("vpages", __name__, template_folder="templates", static_folder="static", static_url_path="/v/static")


@bp.route("/v")
@bp.route("/v/")
@bp.route("/v/i/<string(maxlength=200):link>")
def home(link=None):
    """Sign-in or sign-up by SMS code, then my invitations, upcoming services, history, messages, profile."""
    lang = page_language()
    response = make_response(render_template("v.html", lang=lang, t=TEXT[lang], text=TEXT[lang], link=link or ""))
    remember_language(response, lang)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link in the address bar goes nowhere else
    return response
