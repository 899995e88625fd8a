"""Look-alike digits: phones and ID numbers hold only the digits 0-9, so no other script dodges uniqueness."""
import pytest

from web.common.personal import normalize_id_number, normalize_phone

URL = "/api/v1/volunteers"
PHONE = "13800138000"
VALID_ID = "11010519491231002X"  # the worked example of GB 11643

# The code point of each script's zero; its digits 1-9 follow it.
DEVANAGARI, ARABIC_INDIC, EXTENDED_ARABIC_INDIC, BENGALI, THAI = 0x0966, 0x0660, 0x06F0, 0x09E6, 0x0E50
FULL_WIDTH, MATH_BOLD = 0xFF10, 0x1D7CE  # NFKC folds these to ASCII: they are fine
OTHER_SCRIPTS = {"devanagari": DEVANAGARI, "arabic-indic": ARABIC_INDIC, "extended-arabic-indic": EXTENDED_ARABIC_INDIC,
                 "bengali": BENGALI, "thai": THAI}
FOLDED = {"full-width": FULL_WIDTH, "math-bold": MATH_BOLD}


def written_in(zero, text):
    """`text` with its ASCII digits replaced by the digits starting at code point `zero`."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


def person(**overrides):
    """A valid registration body, placed by address."""
    return {"name": "张伟", "phone": PHONE, "address": "重庆市渝北区", **overrides}


@pytest.mark.parametrize("phone", [
    written_in(DEVANAGARI, PHONE),
    written_in(ARABIC_INDIC, PHONE),
    PHONE[:2] + written_in(DEVANAGARI, PHONE[2:]),  # an ASCII "13" first, so only the script is wrong
    PHONE[:2] + written_in(ARABIC_INDIC, PHONE[2:]),
], ids=["devanagari", "arabic-indic", "devanagari-after-13", "arabic-indic-after-13"])
def test_phone_in_another_script_is_422(client, phone):
    assert client.post(URL, json=person()).status_code == 201
    response = client.post(URL, json=person(phone=phone))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]["phone"] == ["must be written with the digits 0-9"]
    assert [p["phone"] for p in client.get(URL).get_json()] == [PHONE]


@pytest.mark.parametrize("id_number", [
    written_in(ARABIC_INDIC, VALID_ID),
    VALID_ID[:2] + written_in(ARABIC_INDIC, VALID_ID[2:]),  # a real region code, so only the script is wrong
    VALID_ID[:2] + written_in(DEVANAGARI, VALID_ID[2:]),
], ids=["arabic-indic", "arabic-indic-after-region", "devanagari-after-region"])
def test_id_number_in_another_script_is_422(client, id_number):
    response = client.post(URL, json=person(id_number=id_number))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]["id_number"] == ["must be written with the digits 0-9"]


def test_full_width_digits_still_accepted_and_stored_as_ascii(client, app):
    from web.extensions import db
    from web.models import Volunteer

    response = client.post(URL, json=person(phone=written_in(FULL_WIDTH, PHONE),
                                            id_number=written_in(FULL_WIDTH, VALID_ID.lower())))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["phone"] == PHONE
    with app.app_context():
        stored = db.session.get(Volunteer, response.get_json()["id"])
        assert (stored.phone, stored.id_number) == (PHONE, VALID_ID)


@pytest.mark.parametrize("zero", OTHER_SCRIPTS.values(), ids=OTHER_SCRIPTS.keys())
def test_other_scripts_refused(zero):
    with pytest.raises(ValueError, match="must be written with the digits 0-9"):
        normalize_phone(written_in(zero, PHONE))
    with pytest.raises(ValueError, match="must be written with the digits 0-9"):
        normalize_id_number(written_in(zero, VALID_ID))


@pytest.mark.parametrize("zero", FOLDED.values(), ids=FOLDED.keys())
def test_digits_nfkc_folds_accepted(zero):
    assert normalize_phone(written_in(zero, "+86 138-0013-8000")) == PHONE
    assert normalize_id_number(written_in(zero, VALID_ID.lower())) == VALID_ID


def test_one_foreign_digit_among_ascii_refused():
    with pytest.raises(ValueError, match="must be written with the digits 0-9"):
        normalize_phone(PHONE[:-1] + chr(DEVANAGARI))
    with pytest.raises(ValueError, match="must be written with the digits 0-9"):
        normalize_id_number("1" + written_in(THAI, VALID_ID[1:]))
