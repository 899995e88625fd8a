"""What the HTML pages (the console, the volunteer's pages) share: their Content-Security-Policy and
the reader's language (Chinese by default)."""
from flask import request

LANGUAGES = ("zh", "en")

# A page runs only its own script and style; pictures may come from blob: URLs (fetched PNGs).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def page_language():
    """?lang= wins (and is remembered in a cookie, see `remember_language`), then the cookie; else Chinese."""
    asked = request.args.get("lang") or request.cookies.get("vm_lang")
    return asked if asked in LANGUAGES else "zh"


def remember_language(response, lang):
    """Keep an asked-for language in a cookie for a year."""
    if request.args.get("lang") in LANGUAGES:
        response.set_cookie("vm_lang", lang, max_age=365 * 86400, samesite="Lax")
