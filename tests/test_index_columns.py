"""The column-wise candidate index against a straightforward reference over random people and tasks.

The reference keeps a dict of `Person` records and scores every one of them for each request with
plain numpy, without trees, segments, codes or caches; the index must give exactly the same ranked
ids, scores, components, distances and reasons, before and after upserts and removals.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from matcher.availability import format_span, free_spans, week_bitmap, window_weights
from matcher.geo import compass_points, geodesic_km_many, haversine_km
from matcher.index import CandidateIndex, PeopleColumns
from matcher.scoring import FACTORS, MAX_RADIUS_KM, REQUIRED_STRENGTH, rank_candidates, score_candidates, shortfall
from matcher.skills import default_vocabulary, is_chinese, normalise_term
from matcher.types import ROLES, Match, MatchRequest, Person, Weights

TZ = ZoneInfo("Asia/Shanghai")
CENTRE = (29.6, 106.5)
WORDS = ["心理疏导", "心理咨询", "法律援助", "法律咨询", "Counselling", "课业辅导", "烹饪", "电工", "手语", "量子力学",
         "心理健康辅导", "first aid", "急救", "elderly care", "陪伴老人", "编程", "理发"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
NAMES = ["王芳", "李娜", "Zhang Wei", "陈 杰", "阿卜杜拉·买买提", "O'Brien", "张三😀", "", "欧阳娜娜"]
DISTRICTS = [None, "渝中区", "江北区", "南岸区"]


# --- random people and requests ------------------------------------------------------------------

def _slots(rng):
    slots = []
    for _ in range(int(rng.integers(0, 4))):
        start = int(rng.integers(0, 92)) * 15
        end = min(start + int(rng.integers(1, 40)) * 15, 1440)
        slots.append((str(rng.choice(DAYS)), f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"))
    return tuple(slots)


def random_people(rng, n, first_id=1):
    """People around CENTRE with varied skills (known, look-alike, free words), patterns, roles and records."""
    patterns = [_slots(rng) for _ in range(10)] + [(("sat", "08:00", "18:00"),), ()]
    people = []
    for i in range(n):
        at = float(rng.uniform(1.7e9, 1.8e9)) if rng.random() < 0.5 else 0.0
        people.append(Person(
            id=first_id + i, name=str(rng.choice(NAMES)) + str(i % 7),
            lat=CENTRE[0] + float(rng.normal(0, 0.08)), lon=CENTRE[1] + float(rng.normal(0, 0.08)),
            role=str(rng.choice(ROLES)), max_distance_km=float(rng.choice([3.0, 10.0, 12.5, 40.0])),
            skills=tuple(rng.choice(WORDS, size=int(rng.integers(0, 4))).tolist()),
            availability=patterns[int(rng.integers(0, len(patterns)))] if rng.random() < 0.8 else _slots(rng),
            active=bool(rng.random() < 0.95), tier=str(rng.choice(["regular", "core"])),
            district=DISTRICTS[int(rng.integers(0, len(DISTRICTS)))],
            services_completed=int(rng.integers(0, 8)), services_dropped=int(rng.integers(0, 3)),
            recent_hours=float(rng.uniform(0, 30)) if at else 0.0, recent_hours_at=at,
        ))
    return people


def random_request(rng, ids):
    day = dt.datetime(2026, 12, 5, tzinfo=TZ) + dt.timedelta(days=int(rng.integers(0, 7)))
    starts = day + dt.timedelta(minutes=int(rng.integers(0, 96)) * 15 + int(rng.integers(0, 15)))
    weights = rng.uniform(0, 1, 5) * (rng.random(5) < 0.8) + [0.01, 0, 0, 0, 0]
    return MatchRequest(
        lat=CENTRE[0] + float(rng.normal(0, 0.06)), lon=CENTRE[1] + float(rng.normal(0, 0.06)), starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=int(rng.integers(15, 600))),
        skills=tuple(rng.choice(WORDS, size=int(rng.integers(0, 4)), replace=False).tolist()),
        required_skills=(str(rng.choice(WORDS)),) if rng.random() < 0.2 else (),
        role=str(rng.choice(["any", *ROLES])),
        max_distance_km=float(rng.choice([3.0, 10.0, 30.0])) if rng.random() < 0.4 else None,
        partial=bool(rng.random() < 0.4),
        exclude_ids=frozenset(rng.choice(ids, size=5).tolist()) if rng.random() < 0.3 else frozenset(),
        weights=Weights(*map(float, weights)), limit=int(rng.choice([1, 5, 20, 100])),
        language=[None, "zh", "en"][int(rng.integers(0, 3))],
    )


# --- the reference -------------------------------------------------------------------------------

def _strength(person, key):
    """How strongly a person holds a skill column key: 1 for the same canonical skill or word, the
    similarity for a look-alike word, what an occupation or certificate implies (stored as float32
    in the index, hence here too)."""
    best = 0.0
    for word in person.skills:
        for have_key, strength in default_vocabulary().resolve(word).alternatives.items():
            if have_key == key:
                best = max(best, strength)
    return float(np.float32(best))


def _wanted(person, want):
    """How well a person has one wanted skill: the best product of the two sides' strengths."""
    return max(_strength(person, key) * strength for key, strength in want.asked.items())


def _shown(word, chinese):
    """The word as written, or its skill's name in the answer's language if it is a known name in the other."""
    if is_chinese(word.text) != chinese and word.skill is not None and word.key == word.skill.id:
        return word.skill.zh if chinese else word.skill.en
    return word.text


def _reasons(person, request, wanted, chinese, km, weights):
    reasons = []
    for want in wanted:
        scored = [(max((v * want.asked.get(k, 0.0) for k, v in have.alternatives.items()), default=0.0), i, have)
                  for i, have in enumerate(map(default_vocabulary().resolve, person.skills))]
        scored = [s for s in scored if s[0] > 0]
        if scored:
            have = max(scored, key=lambda s: (s[0], -s[1]))[2]  # the strongest word, the first of equals
            word, asked = _shown(have, chinese), _shown(want, chinese)
            text = f"有{word}" if chinese else f"has {word}"
            if normalise_term(word) != normalise_term(asked):
                text += f" (≈ {asked})"
            reasons.append(text)
    reasons.append(f"{km:.1f} km" if chinese else f"{km:.1f} km away")
    reasons += [format_span(*s, chinese=chinese) for s in free_spans(week_bitmap(person.availability), weights)[:2]]
    done, accepted = person.services_completed, person.services_completed + person.services_dropped
    if accepted == 0:
        return [*reasons, "新志愿者，尚无服务记录" if chinese else "new: no past service"]
    reasons.append(f"已完成 {done}/{accepted} 次服务" if chinese else f"completed {done} of {accepted} services")
    age_days = max(request.starts_at.timestamp() - person.recent_hours_at, 0.0) / 86_400
    recent = person.recent_hours * np.exp2(-age_days / 30)
    if recent >= 0.5:
        return [*reasons, f"近期服务约 {recent:.0f} 小时" if chinese else f"about {recent:.0f} h served lately"]
    return [*reasons, "近期未服务" if chinese else "no service lately"]


def reference_matches(people, request):
    """Score every person for the request, filter, rank by (score, distance, id), explain the best."""
    vocab = default_vocabulary()
    wanted = [vocab.resolve(s) for s in request.skills]
    explained = [vocab.resolve(s) for s in dict.fromkeys([*request.skills, *request.required_skills])]
    required = [vocab.resolve(s) for s in request.required_skills]
    weights = window_weights(request.starts_at, request.ends_at)
    radius = min(request.max_distance_km or MAX_RADIUS_KM, MAX_RADIUS_KM)
    eligible, rows = [], []
    for person in people:
        dist = float(haversine_km(request.lat, request.lon, np.array([person.lat]), np.array([person.lon]))[0])
        cover = min(float(week_bitmap(person.availability) @ weights) / weights.sum(), 1.0)
        if (not person.active or dist > min(radius, person.max_distance_km) or person.id in request.exclude_ids
                or request.role in ROLES and person.role != request.role
                or not (cover > 0 if request.partial else cover >= 1 - 1e-9)
                or any(_wanted(person, r) < REQUIRED_STRENGTH for r in required)):
            continue
        skill = np.mean([_wanted(person, w) for w in wanted]) if wanted else 1.0
        near = min(max(1 - dist / min(person.max_distance_km, radius), 0.0), 1.0)
        reliable = (person.services_completed + 1) / (person.services_completed + person.services_dropped + 2)
        age_days = max(request.starts_at.timestamp() - person.recent_hours_at, 0.0) / 86_400
        fair = 1 / (1 + max(person.recent_hours * np.exp2(-age_days / 30), 0.0) / 12)
        eligible.append((person, dist))
        rows.append([skill, near, cover, reliable, fair])
    comps = np.array(rows).reshape(-1, len(FACTORS))
    w = np.array(request.weights.as_tuple())
    scores = np.clip(np.einsum("ij,j->i", comps, w / w.sum()), 0.0, 1.0)
    evidence_first = bool(wanted) and request.weights.skill > 0
    best = sorted(range(len(eligible)), key=lambda i: (-int(evidence_first and comps[i, 0] > 0), -scores[i],
                                                        eligible[i][1], eligible[i][0].id))[:request.limit]
    shown = [eligible[i][0] for i in best]
    lats, lons = np.array([p.lat for p in shown]), np.array([p.lon for p in shown])
    kms = geodesic_km_many(request.lat, request.lon, lats, lons)
    directions = compass_points(request.lat, request.lon, lats, lons)
    chinese = request.language == "zh" if request.language else any(map(is_chinese, request.skills)) or not request.skills
    return [Match(volunteer_id=p.id, name=p.name, role=p.role, score=round(float(scores[i]), 4),
                  distance_km=round(float(km), 2),
                  components={f: round(float(c), 4) for f, c in zip(FACTORS, comps[i])},
                  reasons=_reasons(p, request, explained, chinese, float(km), weights), district=p.district,
                  direction=direction)
            for i, p, km, direction in zip(best, shown, kms, directions)]


def reference_shortfall(index, request):
    """`shortfall` by measuring every live row of every segment (what it did before it used the grid)."""
    vocab = default_vocabulary()
    weights = window_weights(request.starts_at, request.ends_at)
    radius = min(request.max_distance_km or MAX_RADIUS_KM, MAX_RADIUS_KM)
    counts = dict.fromkeys(["too_far_for_task", "too_far_for_them", "inactive", "wrong_role", "not_free", "booked",
                            "missing_required", "eligible"], 0)
    for seg in index.segments_:
        people = seg.people
        rows = np.flatnonzero(seg.alive)
        dist = haversine_km(request.lat, request.lon, people.lat[rows], people.lon[rows])
        cover = np.array([min(float(week_bitmap(people.patterns[people.availability[r]]) @ weights) / weights.sum(), 1.0)
                          for r in rows]).reshape(len(rows))
        steps = [("too_far_for_task", dist <= radius), ("too_far_for_them", dist <= people.max_distance_km[rows]),
                 ("inactive", people.active[rows]),
                 ("wrong_role", people.role[rows] == ROLES.index(request.role) if request.role in ROLES
                  else np.ones(len(rows), bool)),
                 ("not_free", cover > 0 if request.partial else cover >= 1 - 1e-9),
                 ("booked", ~np.isin(people.id[rows], list(request.exclude_ids)))]
        kept = np.ones(len(rows), bool)
        for name, passes in steps:
            counts[name] += int(np.count_nonzero(kept & ~passes))
            kept &= passes
        for r in rows[kept]:
            person = people.person(int(r))
            if any(_wanted(person, vocab.resolve(s)) < REQUIRED_STRENGTH for s in request.required_skills):
                counts["missing_required"] += 1
            else:
                counts["eligible"] += 1
    return counts


# --- the tests -----------------------------------------------------------------------------------

def _agree(index, people, rng, tasks):
    ids = sorted(people)
    for _ in range(tasks):
        request = random_request(rng, ids)
        assert score_candidates(index, request) == reference_matches(people.values(), request), request
        # The filters' counts add up, and leave exactly the people ranked.
        counts = shortfall(index, request)
        assert counts == reference_shortfall(index, request), request  # counted from the grid, as by measuring all
        assert counts["eligible"] == len(rank_candidates(index, request, limit=0).ids), request
        assert sum(counts.values()) == len(people)
    assert len(index) == len(people)
    for pid in rng.choice(ids, size=40).tolist():
        assert index.person(pid) == people[pid]


@pytest.mark.parametrize("seed", [1, 2])
def test_index_agrees_with_the_reference_before_and_after_changes(seed):
    rng = np.random.default_rng(seed)
    people = {p.id: p for p in random_people(rng, 2400)}  # 600 per radius class: each gets a tree
    index = CandidateIndex(rebuild_fraction=0.1).fit(people.values())
    assert all(c.cell_start is not None for c in index.segments_[0].classes)
    _agree(index, people, rng, 60)
    for size in (150, 150, 150, 600):  # changes land in the recent segment; the last batch is merged
        changed = random_people(rng, size, first_id=int(rng.integers(1, 2500)))
        index.upsert(changed)
        people.update((p.id, p) for p in changed)
        gone = rng.choice(sorted(people), size=10, replace=False).tolist()
        index.remove(gone + [10**9])
        for pid in gone:
            del people[pid]
        _agree(index, people, rng, 25)
    assert len(index.segments_[1].people) == 0


def test_columns_hold_arrays_and_small_tables_only():
    people = random_people(np.random.default_rng(3), 1000)
    columns = PeopleColumns.from_people(people)
    for name in ("id", "lat", "lon", "role", "max_distance_km", "active", "tier", "district", "skill_ptr",
                 "skill_code", "availability", "services_completed", "services_dropped", "recent_hours",
                 "recent_hours_at"):
        assert getattr(columns, name).dtype != object
    assert columns.name.data.dtype == np.uint8
    assert len(columns.skill_texts) == len({w for p in people for w in p.skills}) <= len(WORDS)
    assert len(columns.patterns) == len({p.availability for p in people}) < 300
    index = CandidateIndex().fit(people)
    assert [index.person(p.id) for p in people] == people


def test_columns_take_and_concat_keep_every_field():
    rng = np.random.default_rng(4)
    a, b = random_people(rng, 30), random_people(rng, 20, first_id=100)
    joined = PeopleColumns.concat([PeopleColumns.from_people(a), PeopleColumns.from_people(b)])
    assert [joined.person(i) for i in range(len(joined))] == a + b
    picked = joined.take(np.array([45, 3, 3, 0]))
    assert [picked.person(i) for i in range(4)] == [b[15], a[3], a[3], a[0]]
    empty = PeopleColumns.from_people([])
    assert len(PeopleColumns.concat([empty, PeopleColumns.from_people(b)])) == 20


def test_the_last_version_of_an_id_wins():
    first, second = random_people(np.random.default_rng(5), 2)
    second = Person(**{**vars(second), "id": first.id})
    index = CandidateIndex().fit([first, second])
    assert len(index) == 1 and index.person(first.id) == second
    index.upsert([first, second, first])
    assert len(index) == 1 and index.person(first.id) == first
    with pytest.raises(KeyError):
        index.person(12345)


def test_grid_search_finds_exactly_the_people_in_reach_anywhere_on_earth():
    """Near the poles, across the antimeridian, over wide radii: the grid's blocks miss nobody."""
    rng = np.random.default_rng(6)
    n = 6000
    lat = np.concatenate([rng.uniform(-90, 90, n // 3), rng.uniform(84, 90, n // 3), rng.uniform(-5, 5, n // 3)])
    lon = np.concatenate([rng.uniform(-180, 180, n // 3), rng.uniform(-180, 180, n // 3),
                          rng.choice([-179.99, 179.99], n // 3) + rng.normal(0, 0.01, n // 3)])
    radii = rng.choice([5.0, 50.0, 500.0], n)
    people = [Person(i + 1, f"p{i}", float(a), float(o), max_distance_km=float(r), availability=(("sat", "08:00", "18:00"),))
              for i, (a, o, r) in enumerate(zip(lat, lon, radii))]
    seg = CandidateIndex().fit(people).segments_[0]
    assert all(c.cell_start is not None for c in seg.classes)
    for qlat, qlon, km in [(89.9, 10.0, 500.0), (-89.0, 0.0, 300.0), (0.0, 179.995, 50.0), (0.0, -179.9, 500.0),
                           (45.0, 100.0, 500.0), (86.0, -120.0, 5.0), (10.0, 20.0, 20000.0)]:
        rows, dist = seg.within(qlat, qlon, km)
        every = haversine_km(qlat, qlon, seg.people.lat, seg.people.lon)
        assert sorted(rows.tolist()) == np.flatnonzero(every <= np.minimum(km, seg.people.max_distance_km)).tolist()
        # What shortfall counts from the grid: the same people, found without measuring everyone.
        assert sorted(seg.reachable(qlat, qlon, km).tolist()) == sorted(rows.tolist())
        assert seg.count_within(qlat, qlon, km) == np.count_nonzero(every <= km)
        assert np.array_equal(dist, every[rows])  # the same figures to the last bit


def test_a_plans_shared_search_per_place_gives_the_same_ranking():
    rng = np.random.default_rng(7)
    people = random_people(rng, 2400)
    index = CandidateIndex().fit(people)
    places = {}
    for _ in range(20):
        request = random_request(rng, [p.id for p in people])
        request = MatchRequest(**{**vars(request), "lat": CENTRE[0], "lon": CENTRE[1]})  # one station, many times
        shared, alone = rank_candidates(index, request, places=places), rank_candidates(index, request)
        assert shared.ids[shared.order].tolist() == alone.ids[alone.order].tolist()
        assert np.array_equal(shared.scores[shared.order], alone.scores[alone.order])
    assert len(places) <= 4  # one search per reach (no radius, 3, 10 or 30 km asked)


def test_the_index_haversine_is_geo_haversine_to_the_last_bit():
    """The index measures from precomputed radians, in place: the same figures as `geo.haversine_km`."""
    from matcher.index import _haversine_km

    rng = np.random.default_rng(8)
    for near in (False, True):
        lat = CENTRE[0] + rng.normal(0, 0.3, 20000) if near else rng.uniform(-90, 90, 20000)
        lon = CENTRE[1] + rng.normal(0, 0.3, 20000) if near else rng.uniform(-180, 180, 20000)
        for qlat, qlon in [(float(lat[0]), float(lon[0])), CENTRE, (89.9, -179.0), (-45.0, 0.0)]:
            got = _haversine_km(qlat, qlon, np.radians(lat), np.radians(lon), np.cos(np.radians(lat)))
            assert np.array_equal(got, haversine_km(qlat, qlon, lat, lon))
