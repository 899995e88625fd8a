"""Serve the console page in Chinese (default) or English; everything else it does goes through the API."""
from flask import Blueprint, make_response, redirect, render_template

from ..common.pages import CSP, page_language, remember_language
from .text import TEXT

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/console/static")


@bp.route("/")
def root():
    """The site's root leads to the console (volunteers have /v)."""
    return redirect("/console", code=302)


@bp.route("/console")
@bp.route("/console/")
def console():
    """The console: sign in with a coordinator token, then tasks, candidates, plans, coverage, imports."""
    lang = page_language()
    response = make_response(render_template("console.html", lang=lang, t=TEXT[lang], text=TEXT[lang]))
    remember_language(response, lang)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response
