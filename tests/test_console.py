"""The console page itself (the browser tests are in test_console_e2e.py)."""
import re
from pathlib import Path

from web.console.text import EN, ZH

CONSOLE = Path(__file__).resolve().parent.parent / "web" / "console"


def test_chinese_by_default_english_on_request_and_remembered(anon):
    page = anon.get("/console")
    assert page.status_code == 200 and "志愿服务匹配" in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    english = anon.get("/console?lang=en")
    assert "coordinator console" in english.get_data(as_text=True)
    assert "vm_lang=en" in english.headers["Set-Cookie"]
    assert "coordinator console" in anon.get("/console/").get_data(as_text=True)  # the cookie is kept
    assert anon.get("/console?lang=fr").status_code == 200


def test_both_languages_have_every_word_the_page_uses():
    assert set(ZH) == set(EN)
    script = (CONSOLE / "static" / "console.js").read_text(encoding="utf-8")
    template = (CONSOLE / "templates" / "console.html").read_text(encoding="utf-8")
    used = set(re.findall(r"\bT\.([a-z_]+)", script)) | set(re.findall(r"\bt\.([a-z_]+)", template))
    dynamic = {f"{prefix}{name}" for prefix, names in (
        ("st_", ("open", "filled", "done", "cancelled", "invited", "accepted", "declined", "completed", "no_show")),
        ("role_", ("admin", "coordinator")), ("src_", ("verified", "self_reported")),
        ("f_", ("skill", "distance", "availability", "reliability", "fairness"))) for name in names}
    assert used | dynamic <= set(ZH), (used | dynamic) - set(ZH)


def test_static_files_are_served(anon):
    for name, kind in (("console.js", "text/javascript"), ("console.css", "text/css")):
        response = anon.get(f"/console/static/{name}")
        assert response.status_code == 200 and response.mimetype == kind and response.get_data()
        response.close()  # a static file is streamed from disk
