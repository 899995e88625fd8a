"""Coverage: per district and skill category, who could serve, what is asked for, and the gap.

- ``people``: active people living in the district (their ``district``) with at least one skill of
  the category (after synonym normalisation) who could take at least one of the cell's open tasks
  with unfilled seats in the range, by the matcher's hard filters of role and time: the task's role
  is ``any`` or theirs, and their weekly availability covers the task's whole window (as a match
  without ``partial``). Place, required skills and other bookings are not looked at. In a cell
  without such tasks, every active person of the district with a skill of the category counts;
- ``demand``: unfilled seats (headcount less those accepted or served) of open tasks in the district whose
  window overlaps the range; a task counts for the category of its first required skill, else of
  its first wanted skill the vocabulary knows, else ``other``;
- ``gap``: seats the people could not cover even if every one of them served once, i.e.
  ``max(demand - people, 0)``; ``ratio`` is people per open seat (None without demand).
"""
import datetime as dt
import json
from collections import Counter

from sqlalchemy import Text, cast, func, select

from matcher.categories import CATEGORIES

from ..extensions import db
from ..models import SEATED, Assignment, Task, Volunteer
from ..types import utcnow

OTHER = "other"
DEFAULT_DAYS = 30
CHUNK_ROWS = 20_000  # people read at a time (SQLAlchemy Core, no ORM object per person)
FULLY_FREE = 1 - 1e-9  # the share of a window that counts as free for all of it (matcher.scoring.rank_candidates)


def _categories_of(skills, vocab, cache):
    """The set of categories a skill list's JSON text covers (memoised per distinct text)."""
    found = cache.get(skills)
    if found is None:
        names = json.loads(skills) if skills else ()
        found = cache[skills] = frozenset(r.skill.category for r in map(vocab.resolve, names or ()) if r.skill is not None)
    return found


def _task_category(required_skills, skills, vocab):
    for name in (*(required_skills or ()), *(skills or ())):
        resolved = vocab.resolve(name)
        if resolved.skill is not None:
            return resolved.skill.category
    return OTHER


class _Takers:
    """Whether a person could take one of a cell's tasks: their role and weekly availability against
    the roles and windows of the cell's tasks with unfilled seats (the matcher's hard filters).

    People share a few weekly patterns: each distinct availability text is decoded once and checked
    against every distinct task window, and each (cell, role, pattern) answered once.
    """

    def __init__(self, tasks):
        """`tasks`: {(district, category): {(role, starts_at, ends_at), ...}}."""
        from matcher.availability import window_weights

        windows = sorted({(starts, ends) for cell in tasks.values() for _, starts, ends in cell})
        number = {window: i for i, window in enumerate(windows)}
        self.weights = [window_weights(starts, ends) for starts, ends in windows]
        # Per cell, per role of person: the windows of the tasks that role may take (role `any` or theirs).
        self.cells = {key: {role: sorted({number[(starts, ends)] for task_role, starts, ends in cell
                                          if task_role in ("any", role)}) for role in ("volunteer", "social_worker")}
                      for key, cell in tasks.items()}
        self.free = {}  # availability text -> (windows,) booleans: free for the whole window
        self.answers = {}

    def learn(self, texts):
        """Work out, for the availability texts not yet seen, which task windows each covers whole."""
        import numpy as np

        from matcher.availability import coverage, week_bitmap

        new = sorted({t for t in texts if t not in self.free}, key=str)
        if not new:
            return
        packed = np.array([np.packbits(week_bitmap((s["day"], s["start"], s["end"]) for s in json.loads(t or "[]")))
                           for t in new])
        free = np.zeros((len(new), len(self.weights)), dtype=bool)
        for w, weights in enumerate(self.weights):
            free[:, w] = coverage(packed, weights) >= FULLY_FREE
        self.free.update(zip(new, free))

    def has_tasks(self, key):
        return key in self.cells

    def could_take(self, key, role, availability):
        """Whether a person of `role`, free as `availability` (JSON text) says, could take a task of cell `key`."""
        answer = self.answers.get((key, role, availability))
        if answer is None:
            windows = self.cells[key].get(role, ())
            answer = self.answers[(key, role, availability)] = bool(len(windows) and self.free[availability][windows].any())
        return answer


def _demand(vocab, district, starts, ends):
    """Unfilled seats per cell, and per cell the (role, start, end) of its tasks that still have seats."""
    accepted = (select(Assignment.task_id, func.count().label("n")).where(Assignment.status.in_(SEATED))
                .group_by(Assignment.task_id).subquery())
    stmt = (select(Task.district, Task.required_skills, Task.skills, Task.role, Task.starts_at, Task.ends_at,
                   Task.headcount, func.coalesce(accepted.c.n, 0))
            .outerjoin(accepted, accepted.c.task_id == Task.id)
            .where(Task.status == "open", Task.ends_at > starts, Task.starts_at < ends))
    if district:
        stmt = stmt.where(Task.district == district)
    demand, tasks = Counter(), {}
    for home, required, skills, role, task_starts, task_ends, headcount, taken in db.session.execute(stmt):
        key = (home, _task_category(required, skills, vocab))
        seats = max(headcount - taken, 0)
        demand[key] += seats
        if seats:
            tasks.setdefault(key, set()).add((role or "any", task_starts, task_ends))
    return demand, tasks


def _supply(vocab, district, tasks):
    """People per cell: active, with a skill of the category, and (in a cell with tasks) able to take one."""
    takers = _Takers(tasks)
    homes = {home for home, _ in tasks}
    people = Counter()
    stmt = (select(Volunteer.district, cast(Volunteer.skills, Text), Volunteer.role, cast(Volunteer.availability, Text))
            .where(Volunteer.active.is_(True)))
    if district:
        stmt = stmt.where(Volunteer.district == district)
    cache = {}
    result = db.session.connection().execute(stmt, execution_options={"yield_per": CHUNK_ROWS})
    for rows in result.partitions():
        # Only people of a district with tasks need their availability looked at.
        takers.learn(availability for home, _, _, availability in rows if home in homes)
        for home, skills, role, availability in rows:
            for cat in _categories_of(skills, vocab, cache):
                key = (home, cat)
                if not takers.has_tasks(key) or takers.could_take(key, role, availability):
                    people[key] += 1
    return people


def coverage(district=None, category=None, starts=None, ends=None):
    """The coverage table as a dict: the range, the rows (district x category), and totals."""
    starts = starts or utcnow()
    ends = ends or starts + dt.timedelta(days=DEFAULT_DAYS)
    from matcher.skills import default_vocabulary  # scikit-learn: loaded when a report is asked for

    vocab = default_vocabulary()
    demand, tasks = _demand(vocab, district, starts, ends)
    people = _supply(vocab, district, tasks)

    rows = []
    for key in sorted(set(people) | set(demand), key=lambda k: (k[0] or "", _order(k[1]))):
        home, cat = key
        if category and cat != category:
            continue
        have, need = people.get(key, 0), demand.get(key, 0)
        if have == 0 and need == 0:
            continue
        rows.append({"district": home, "category": cat, "people": have, "demand": need,
                     "gap": max(need - have, 0), "ratio": round(have / need, 2) if need else None})
    totals = {name: sum(r[name] for r in rows) for name in ("people", "demand", "gap")}
    return {"from": starts, "to": ends, "categories": category_labels(), "rows": rows, "totals": totals}


def _order(category):
    names = list(CATEGORIES) + [OTHER]
    return names.index(category) if category in names else len(names)


def category_labels():
    """Every category with its Chinese and English name, in display order."""
    labels = [{"id": key, "zh": zh, "en": en} for key, (zh, en) in CATEGORIES.items()]
    return labels + [{"id": OTHER, "zh": "其他", "en": "other"}]
