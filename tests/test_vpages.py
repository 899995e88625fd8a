"""The volunteer's pages as served: language, Content-Security-Policy, the invitation-link route, words."""
import re

from web.common.pages import CSP
from web.vpages.text import TEXT


def test_both_languages_say_everything():
    assert set(TEXT["zh"]) == set(TEXT["en"])
    assert len(TEXT["zh"]["days"]) == len(TEXT["en"]["days"]) == 7 and len(TEXT["en"]["dirs"]) == 8


def test_the_page_is_chinese_by_default_and_english_on_request(anon):
    page = anon.get("/v")
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == CSP
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "我的志愿服务" in html and "获取验证码" in html
    english = anon.get("/v?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True) and "vm_lang=en" in english.headers["Set-Cookie"]
    assert "Send code" in anon.get("/v").get_data(as_text=True)  # remembered


def test_a_link_opens_the_page_with_the_link_and_leaks_it_nowhere(anon):
    page = anon.get("/v/i/12.34.abcDEF-_x")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert re.search(r'data-link="12\.34\.abcDEF-_x"', page.get_data(as_text=True))
    assert anon.get("/v/i/" + "x" * 300).status_code == 404
    script = anon.get("/v/static/v.js")
    assert script.status_code == 200 and b"localStorage" in script.data
    script.close()


def test_the_root_leads_to_the_console(anon):
    answer = anon.get("/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console"
