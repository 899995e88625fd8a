"""Real-world skill words: traditional characters, look-alikes, occupations, certificates, languages,
unknown words, close variants of required skills, and the words reasons are written in.

Small hand-computed cases through the matcher itself (and, for certificates and languages, through
the API and the web index), plus a property test that evidence for a wanted skill always ranks first.
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.index import CandidateIndex
from matcher.scoring import score_candidates
from matcher.skills import default_vocabulary
from matcher.types import Weights

from .test_matcher import person, ranked, request


def ids(matches):
    return [m.volunteer_id for m in matches]


def skill_of(matches, pid):
    return next(m.components["skill"] for m in matches if m.volunteer_id == pid)


@pytest.mark.parametrize("traditional,simplified", [("護理", "护理"), ("攝影", "摄影"), ("義診", "义诊"),
                                                     ("心理諮詢", "心理疏导"), ("養老護理", "养老护理")])
def test_traditional_characters_are_their_simplified_skill(traditional, simplified):
    vocab = default_vocabulary()
    assert vocab.resolve(traditional).key == vocab.resolve(simplified).key
    assert vocab.resolve(traditional).strength == 1.0


@pytest.mark.parametrize("wanted,look_alike,synonym", [("美术", "美容", "画画"), ("中医", "中介", "推拿师"),
                                                        ("家政", "家电", "保洁")])
def test_a_shared_character_is_no_evidence_and_never_outranks_a_true_synonym(wanted, look_alike, synonym):
    # The look-alike lives next door, the synonym 8 km away: the synonym still ranks first.
    matches = ranked([person(1, 0.2, skills=(look_alike,)), person(2, 8.0, skills=(synonym,))], skills=(wanted,))
    assert ids(matches) == [2, 1]
    assert skill_of(matches, 1) == 0.0 and skill_of(matches, 2) > 0.5


def test_someone_with_an_unknown_but_identical_word_ranks_above_nearby_people_with_unrelated_skills():
    matches = ranked([person(1, 0.1, skills=("烹饪",)), person(2, 0.3, skills=()),
                      person(3, 9.0, skills=("无人机操作",))], skills=("无人机操作",))
    assert ids(matches)[0] == 3 and ids(matches)[1:] == [1, 2]  # then by distance: no evidence either way


def test_evidence_does_not_rank_first_when_the_weights_say_skill_does_not_matter():
    people = [person(1, 0.1, skills=("烹饪",)), person(2, 9.0, skills=("心理疏导",))]
    assert ids(ranked(people, weights=Weights(skill=0.0, distance=1.0, availability=0.1, reliability=0.1,
                                              fairness=0.1))) == [1, 2]


@pytest.mark.parametrize("occupation,task_skill", [("药剂师", "健康宣教"), ("会计师", "财务"), ("厨师长", "烹饪"),
                                                    ("电工师傅", "家电维修"), ("退休教师", "课业辅导")])
def test_an_occupation_is_evidence_for_the_skills_it_implies(occupation, task_skill):
    matches = ranked([person(1, 0.1, skills=("摄影",)), person(2, 6.0, skills=(occupation,))], skills=(task_skill,))
    assert ids(matches) == [2, 1]
    assert 0.5 <= skill_of(matches, 2) <= 1.0
    assert matches[0].reasons[0] == f"有{occupation} (≈ {task_skill})"


def test_a_required_skill_admits_close_variants_and_evidence_but_not_strangers():
    people = [person(1, 1.0, skills=("急救技能培训",)), person(2, 1.0, skills=("红十字救护员证",)),
              person(3, 1.0, skills=("急救",)), person(4, 1.0, skills=("救生",)), person(5, 1.0, skills=("烹饪",))]
    kept = ids(ranked(people, skills=(), required_skills=("急救",)))
    assert sorted(kept) == [1, 2, 3]


def test_reasons_name_the_skill_in_the_tasks_language():
    people = [person(1, 1.0, skills=("nursing",)), person(2, 2.0, skills=("護理",))]
    chinese = ranked(people, skills=("养老护理",))
    assert [m.reasons[0] for m in chinese] == ["有护理 (≈ 养老护理)", "有護理 (≈ 养老护理)"]
    english = ranked([person(1, 1.0, skills=("护理",))], skills=("elderly nursing care",), language="en")
    assert english[0].reasons[0] == "has nursing (≈ elderly nursing care)"


@settings(max_examples=60, deadline=None)
@given(near=st.floats(0.0, 9.0), far=st.floats(0.0, 9.9), w=st.tuples(*[st.floats(0.01, 1.0)] * 5),
       served=st.integers(0, 5), dropped=st.integers(0, 5))
def test_a_person_with_evidence_always_outranks_one_without_all_else_equal(near, far, w, served, dropped):
    """Whatever the distances and weights: the one with 心理咨询 (evidence for 心理疏导) comes first."""
    shared = {"services_completed": served, "services_dropped": dropped}
    people = [person(1, near, skills=("摄影",), **shared), person(2, far, skills=("心理咨询",), **shared)]
    matches = score_candidates(CandidateIndex().fit(people), request(weights=Weights(*w)))
    assert ids(matches) == [2, 1]


# --- certificates and languages, through the API and the web index ---------------------------------

def test_certificates_and_languages_count_as_evidence_with_reasons_saying_so(client, station):
    place = {"lat": station["location"]["lat"] + 0.01, "lon": station["location"]["lon"]}
    sat = [{"day": "sat", "start": "08:00", "end": "18:00"}]
    body = {"location": place, "availability": sat}
    nurse = client.post("/api/v1/volunteers", json={**body, "name": "持证", "certificates": ["護士執業證書"]}).get_json()
    client.post("/api/v1/volunteers", json={**body, "name": "无证", "skills": ["摄影"]})
    speaker = client.post("/api/v1/volunteers", json={**body, "name": "粤语", "languages": ["粤语"]}).get_json()
    window = {"starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T11:00", "station_id": station["id"]}
    care = client.post("/api/v1/matches", json={**window, "required_skills": ["护理"]}).get_json()["results"]
    assert [r["volunteer_id"] for r in care] == [nurse["id"]]
    assert care[0]["reasons"][0] == "有護士執業證書 (≈ 护理)"
    interpreting = client.post("/api/v1/matches", json={**window, "skills": ["方言翻译"]}).get_json()["results"]
    assert interpreting[0]["volunteer_id"] == speaker["id"] and interpreting[0]["reasons"][0] == "有粤语 (≈ 方言翻译)"


# --- why nobody matches ----------------------------------------------------------------------------

def test_the_answer_says_how_many_people_each_filter_removed(client, station):
    """Seven people near the station, each stopped by one filter (in the funnel's order), one candidate."""
    at = station["location"]
    sat, sun = [{"day": "sat", "start": "08:00", "end": "18:00"}], [{"day": "sun", "start": "08:00", "end": "18:00"}]

    def add(name, north_km, **extra):
        body = {"name": name, "location": {"lat": at["lat"] + north_km / 111.2, "lon": at["lon"]},
                "availability": sat, "skills": ["急救"], "max_distance_km": 10, **extra}
        response = client.post("/api/v1/volunteers", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    add("远", 6.0)  # beyond the request's 5 km
    add("懒", 3.0, max_distance_km=2)  # beyond their own 2 km
    inactive = add("停", 1.0)
    assert client.patch(f"/api/v1/volunteers/{inactive}", json={"active": False}).status_code == 200
    add("社工", 1.0, role="social_worker")
    add("周日", 1.0, availability=sun)
    add("无证", 1.0, skills=["摄影"])
    fits = add("行", 1.0)
    body = {"station_id": station["id"], "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T11:00",
            "role": "volunteer", "required_skills": ["急救"], "max_distance_km": 5}
    answer = client.post("/api/v1/matches", json=body).get_json()
    assert [r["volunteer_id"] for r in answer["results"]] == [fits]
    assert answer["shortfall"] == {"too_far_for_task": 1, "too_far_for_them": 1, "inactive": 1, "wrong_role": 1,
                                   "not_free": 1, "booked": 0, "missing_required": 1, "eligible": 1}
    enough = client.post("/api/v1/matches", json={**body, "limit": 1}).get_json()
    assert enough["shortfall"] is None  # as many as asked: nothing to explain
