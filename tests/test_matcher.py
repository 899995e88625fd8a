"""The matching library on small hand-computed cases, plus property tests of its invariants."""
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from matcher.availability import WEEK_SLOTS, coverage, free_spans, week_bitmap, window_weights
from matcher.engagement import FAIR_HOURS, add_hours, decayed, fairness, reliability
from matcher.geo import compass_points, geodesic_km, geodesic_km_many, haversine_km
from matcher.index import CandidateIndex
from matcher.scoring import _free_spans_in, score_candidates
from matcher.skills import SkillVocabulary, default_vocabulary
from matcher.types import MatchRequest, Person, Weights

TZ = ZoneInfo("Asia/Shanghai")
SAT_9 = dt.datetime(2026, 12, 5, 9, tzinfo=TZ)  # a Saturday
SAT = (("sat", "08:00", "18:00"),)
HOME = (29.60, 106.52)


def request(**kwargs):
    """A Saturday-morning task at HOME wanting 心理疏导."""
    base = {"lat": HOME[0], "lon": HOME[1], "starts_at": SAT_9, "ends_at": SAT_9 + dt.timedelta(hours=3),
            "skills": ("心理疏导",)}
    base.update(kwargs)
    return MatchRequest(**base)


def person(pid, km_north=0.0, **kwargs):
    """Someone `km_north` km north of HOME, free all Saturday, with 心理疏导 unless told otherwise."""
    base = {"name": f"p{pid}", "lat": HOME[0] + km_north / 111.195, "lon": HOME[1], "skills": ("心理疏导",),
            "availability": SAT}
    base.update(kwargs)
    return Person(pid, **base)


def ranked(people, **kwargs):
    return score_candidates(CandidateIndex().fit(people), request(**kwargs))


# --- skills ---------------------------------------------------------------------------------

@pytest.mark.parametrize("word,canonical", [
    ("心理咨询", "心理疏导"), ("心理慰藉", "心理疏导"), ("Counselling", "心理疏导"), ("法律咨询", "法律援助"),
    ("课业辅导", "课业辅导"), ("烹饪", None), ("电工", None), ("手语", None),
])
def test_vocabulary_maps_synonyms_to_one_skill(word, canonical):
    resolved = default_vocabulary().resolve(word)
    assert resolved.skill is not None and resolved.strength == 1.0
    if canonical:
        assert resolved.skill.zh == canonical


def test_unknown_word_falls_back_to_tfidf_similarity():
    resolved = default_vocabulary().resolve("心理健康辅导")
    assert resolved.skill is not None and resolved.skill.id == default_vocabulary().resolve("心理疏导").skill.id
    assert 0.5 <= resolved.strength < 1.0
    nothing = default_vocabulary().resolve("量子力学")
    assert nothing.skill is None and nothing.key == "free:量子力学"


def test_vocabulary_refuses_a_name_in_two_skills():
    with pytest.raises(ValueError):
        SkillVocabulary([{"id": "a", "zh": "甲", "en": "a", "category": "x", "synonyms": ["同"]},
                         {"id": "b", "zh": "乙", "en": "b", "category": "x", "synonyms": ["同"]}])


# --- distance -------------------------------------------------------------------------------

def test_displayed_distance_is_geopys_geodesic():
    from geopy.distance import geodesic

    assert_allclose(geodesic_km(29.56, 106.55, 30.1, 107.2), geodesic((29.56, 106.55), (30.1, 107.2)).km, rtol=1e-12)


def test_haversine_agrees_with_geodesic_within_half_a_percent():
    rng = np.random.default_rng(1)
    lat, lon = 29.5 + rng.random(200), 106.0 + rng.random(200)
    fast = haversine_km(29.56, 106.55, lat, lon)
    exact = np.array([geodesic_km(29.56, 106.55, a, b) for a, b in zip(lat, lon)])
    assert_allclose(fast, exact, rtol=0.005)


def test_distance_factor_is_linear_to_the_edge():
    results = ranked([person(1, 0.0), person(2, 2.5), person(3, 7.5), person(4, 11.0)])
    by_id = {m.volunteer_id: m for m in results}
    assert set(by_id) == {1, 2, 3}  # person 4 is beyond their own 10 km
    assert_allclose([by_id[i].components["distance"] for i in (1, 2, 3)], [1.0, 0.75, 0.25], atol=0.002)
    assert_allclose(by_id[2].distance_km, 2.5, rtol=0.005)


def test_request_radius_caps_everyones_radius():
    results = ranked([person(1, 1.0), person(2, 4.0, max_distance_km=30)], max_distance_km=3)
    assert [m.volunteer_id for m in results] == [1]
    assert_allclose(results[0].components["distance"], 1 - 1 / 3, atol=0.002)


# --- availability ---------------------------------------------------------------------------

def test_window_weights_cross_midnight():
    friday_22 = dt.datetime(2026, 12, 4, 22, tzinfo=TZ)
    weights = window_weights(friday_22, friday_22 + dt.timedelta(hours=4))
    assert weights.sum() == 240
    bits = week_bitmap([("fri", "20:00", "24:00")])
    assert_allclose(coverage(np.packbits(bits)[None, :], weights), [0.5])


def test_window_weights_in_shanghai_time_and_partial_quarters():
    utc_start = dt.datetime(2026, 12, 5, 1, 10, tzinfo=dt.UTC)  # Sat 09:10 in Shanghai
    weights = window_weights(utc_start, utc_start + dt.timedelta(minutes=50))
    assert weights.sum() == 50 and weights.size == WEEK_SLOTS
    bits = week_bitmap([("sat", "09:00", "10:00")])
    assert_allclose(coverage(np.packbits(bits)[None, :], weights), [1.0])
    # A slot 09:05-10:00 rounds inward to 09:15: the first 5 minutes are not claimed.
    inward = week_bitmap([("sat", "09:05", "10:00")])
    assert_allclose(coverage(np.packbits(inward)[None, :], weights), [45 / 50])


def test_multi_day_window():
    weights = window_weights(SAT_9, SAT_9 + dt.timedelta(days=1, hours=3))  # Sat 09:00 -> Sun 12:00
    bits = week_bitmap([("sat", "09:00", "24:00"), ("sun", "00:00", "12:00")])
    assert_allclose(coverage(np.packbits(bits)[None, :], weights), [1.0])


def test_partial_availability_only_on_request():
    people = [person(1, availability=(("sat", "09:00", "12:00"),)), person(2, availability=(("sat", "10:30", "12:00"),)),
              person(3, availability=(("sun", "09:00", "12:00"),))]
    assert [m.volunteer_id for m in ranked(people)] == [1]
    partial = ranked(people, partial=True)
    assert [m.volunteer_id for m in partial] == [1, 2]
    assert_allclose(partial[1].components["availability"], 0.5)


# --- filters, weights, reasons --------------------------------------------------------------

def test_required_skills_are_a_hard_filter_after_synonyms():
    people = [person(1, skills=("心理咨询", "法律咨询")), person(2, skills=("心理疏导",)), person(3, skills=("法律援助",))]
    results = ranked(people, required_skills=("法律援助",))
    assert sorted(m.volunteer_id for m in results) == [1, 3]


def test_role_activity_and_exclusions():
    people = [person(1, role="social_worker"), person(2), person(3, active=False), person(4)]
    assert [m.volunteer_id for m in ranked(people, role="social_worker")] == [1]
    assert sorted(m.volunteer_id for m in ranked(people, exclude_ids=frozenset({4}))) == [1, 2]


def test_skill_factor_and_weights():
    people = [person(1, skills=("心理咨询",)), person(2, skills=("法律援助",), lat=HOME[0])]
    results = ranked(people, skills=("心理疏导", "法律援助"))
    assert_allclose([m.components["skill"] for m in results], [0.5, 0.5])
    only_distance = ranked(people, skills=("心理疏导",),
                           weights=Weights(skill=0, distance=1, availability=0, reliability=0, fairness=0))
    assert [m.score for m in only_distance] == [1.0, 1.0]
    with pytest.raises(ValueError):
        Weights(skill=0, distance=0, availability=0, reliability=0, fairness=0)


def test_reasons_in_the_language_of_the_data():
    zh = ranked([person(1, 3.2, skills=("心理咨询",), availability=(("sat", "09:00", "12:00"),))])[0]
    assert zh.reasons == ["有心理咨询 (≈ 心理疏导)", "3.2 km", "周六 09:00–12:00 有空", "新志愿者，尚无服务记录"]
    en = ranked([person(1, 3.2, skills=("counselling",), availability=(("sat", "09:00", "12:00"),))],
                skills=("psychological support",))[0]
    assert en.reasons == ["has counselling (≈ psychological support)", "3.2 km away", "free Sat 09:00–12:00",
                          "new: no past service"]


def test_upsert_and_remove_are_seen_by_the_next_query():
    index = CandidateIndex().fit([person(1), person(2, 1.0)])
    index.upsert([person(2, 9.0), person(3, 0.5)])
    index.remove([1])
    results = score_candidates(index, request())
    assert [m.volunteer_id for m in results] == [3, 2]
    assert_allclose(results[1].distance_km, 9.0, rtol=0.005)
    index.upsert([person(1, 0.1, skills=("量子力学",))])  # changed skills: a free word now
    assert score_candidates(index, request(skills=("量子力学",), required_skills=("量子力学",)))[0].volunteer_id == 1


def test_upserts_merge_into_the_tree_when_recent_segment_grows():
    index = CandidateIndex(rebuild_fraction=0.01).fit([person(i, 1 + (i % 50) / 10) for i in range(1, 1001)])
    index.upsert([person(i, 0.05) for i in range(2000, 2600)])
    assert len(index.segments_[1].people) == 0 and len(index) == 1600
    assert score_candidates(index, request(limit=5))[0].volunteer_id >= 2000


# --- property tests -------------------------------------------------------------------------

kms = st.floats(min_value=0.0, max_value=30.0, allow_nan=False)
day = st.sampled_from(["sat", "sun", "mon"])
hours = st.integers(min_value=0, max_value=23)


@st.composite
def crowd(draw):
    """Random people around HOME."""
    size = draw(st.integers(min_value=1, max_value=25))
    people = []
    for pid in range(1, size + 1):
        start = draw(hours)
        end = draw(st.integers(min_value=start + 1, max_value=24))
        people.append(person(
            pid, draw(kms), max_distance_km=draw(st.floats(min_value=1, max_value=40)),
            skills=tuple(draw(st.lists(st.sampled_from(["心理疏导", "心理咨询", "法律援助", "手语", "电工"]), max_size=3))),
            availability=((draw(day), f"{start:02d}:00", f"{end:02d}:00"),),
        ))
    return people


@settings(max_examples=60, deadline=None)
@given(crowd(), st.floats(min_value=1, max_value=50), st.booleans())
def test_invariants(people, radius, partial):
    results = ranked(people, max_distance_km=radius, partial=partial, required_skills=("法律援助",), limit=100)
    scores = [m.score for m in results]
    assert scores == sorted(scores, reverse=True)
    for match in results:
        who = next(p for p in people if p.id == match.volunteer_id)
        assert 0 <= match.score <= 1 and all(0 <= c <= 1 for c in match.components.values())
        assert match.distance_km <= min(radius, who.max_distance_km) * 1.006
        assert "法律援助" in who.skills


@settings(max_examples=40, deadline=None)
@given(kms, kms)
def test_closer_ranks_higher_all_else_equal(a, b):
    results = ranked([person(1, a), person(2, b)], limit=2)
    if abs(a - b) > 0.05 and len(results) == 2:
        assert results[0].volunteer_id == (1 if a < b else 2)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=9, max_value=11), st.integers(min_value=9, max_value=11))
def test_more_covered_time_ranks_higher_all_else_equal(start_a, start_b):
    people = [person(1, availability=(("sat", f"{start_a:02d}:00", "12:00"),)),
              person(2, availability=(("sat", f"{start_b:02d}:00", "12:00"),))]
    results = ranked(people, partial=True)
    if start_a != start_b:
        assert results[0].volunteer_id == (1 if start_a < start_b else 2)


# --- engagement factors -----------------------------------------------------------------------

def test_reliability_has_a_neutral_prior_and_follows_the_record():
    assert_allclose([reliability(0, 0), reliability(3, 0), reliability(3, 3), reliability(0, 2)],
                    [0.5, 0.8, 0.5, 0.25])


def test_recent_hours_decay_with_a_thirty_day_half_life():
    day = 86_400.0
    assert_allclose(decayed(8.0, 0.0, 30 * day), 4.0)
    assert decayed(8.0, 10 * day, 0.0) == 8.0  # seen from before they were recorded: not grown
    total, at = add_hours(0.0, None, 6.0, 100 * day)
    total, at = add_hours(total, at, 4.0, 130 * day)
    assert at == 130 * day
    assert_allclose(total, 3.0 + 4.0)
    # A late record of an earlier service counts as if it had come in time.
    late, late_at = add_hours(4.0, 130 * day, 6.0, 100 * day)
    assert late_at == 130 * day
    assert_allclose(late, 7.0)
    assert_allclose([fairness(0.0), fairness(FAIR_HOURS), fairness(3 * FAIR_HOURS)], [1.0, 0.5, 0.25])


def test_reliability_ranks_the_dependable_above_the_dropper_and_the_newcomer_between():
    people = [person(1, services_completed=6), person(2, services_dropped=3), person(3)]
    results = ranked(people)
    assert [m.volunteer_id for m in results] == [1, 3, 2]
    by_id = {m.volunteer_id: m for m in results}
    assert_allclose([by_id[i].components["reliability"] for i in (1, 2, 3)], [7 / 8, 1 / 5, 1 / 2])
    assert "completed 6 of 6 services" in ranked(people, skills=("counselling",))[0].reasons
    assert "已完成 6/6 次服务" in by_id[1].reasons
    # Weight 0 switches it off: the three then tie and fall back to distance, then id.
    off = ranked(people, weights=Weights(reliability=0))
    assert [m.volunteer_id for m in off] == [1, 2, 3] and len({m.score for m in off}) == 1


def test_fairness_lifts_people_who_have_not_served_lately():
    when = SAT_9.timestamp()
    busy = person(1, services_completed=5, recent_hours=24.0, recent_hours_at=when)
    rested = person(2, services_completed=5, recent_hours=24.0, recent_hours_at=when - 120 * 86_400)
    results = ranked([busy, rested])
    assert [m.volunteer_id for m in results] == [2, 1]
    assert_allclose(results[1].components["fairness"], 1 / 3, atol=1e-4)
    assert_allclose(results[0].components["fairness"], 1 / (1 + 24 / 16 / FAIR_HOURS), atol=1e-4)
    assert "近期服务约 24 小时" in results[1].reasons
    # A better fit still wins: fairness only orders people who fit about equally well.
    farther_fresh = person(3, 6.0, services_completed=5)
    assert ranked([busy, farther_fresh])[0].volunteer_id == 1
    assert [m.volunteer_id for m in ranked([busy, rested], weights=Weights(fairness=0))] == [1, 2]


def test_vectorised_geodesic_agrees_with_geopy_to_the_millimetre():
    from geopy.distance import geodesic

    rng = np.random.default_rng(3)
    lats, lons = 29.5 + rng.normal(0, 2.5, 300), 106.5 + rng.normal(0, 2.5, 300)
    lats[0], lons[0] = 29.5, 106.5  # the same point
    exact = [geodesic((29.5, 106.5), (a, b)).km for a, b in zip(lats, lons)]
    assert_allclose(geodesic_km_many(29.5, 106.5, lats, lons), exact, atol=1e-6)
    # Nearly antipodal: Vincenty does not converge there and the exact solver takes over.
    assert_allclose(geodesic_km_many(0.0, 0.0, np.array([0.5]), np.array([179.7])), [geodesic((0, 0), (0.5, 179.7)).km],
                    rtol=1e-12)


def test_compass_points_are_coarse_directions():
    lat, lon = 29.6, 106.5
    points = compass_points(lat, lon, np.array([29.7, 29.6, 29.5, 29.6, 29.67, 29.6]),
                            np.array([106.5, 106.6, 106.5, 106.4, 106.58, 106.5]))
    assert points == ["N", "E", "S", "W", "NE", ""]


@settings(max_examples=300, deadline=None)
@given(bits=st.lists(st.booleans(), min_size=WEEK_SLOTS, max_size=WEEK_SLOTS),
       day=st.integers(0, 6), start=st.integers(0, 24 * 60 - 1), minutes=st.integers(1, 3 * 24 * 60))
def test_free_spans_from_the_window_slots_agree_with_free_spans(bits, day, start, minutes):
    """The reasons' free spans (only the window's slots, read from the packed bitmap) are free_spans',
    across midnight, several days and the end of the week."""
    starts = dt.datetime(2026, 11, 30, tzinfo=TZ) + dt.timedelta(days=day, minutes=start)  # a Monday, then `day`
    weights = window_weights(starts, starts + dt.timedelta(minutes=minutes))
    week = np.array(bits)
    packed = np.packbits(week).tobytes()
    assert _free_spans_in(packed, np.flatnonzero(weights).tolist()) == free_spans(week, weights)
