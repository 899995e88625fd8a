"""Coverage: per district and skill category, who could serve, what is asked for, and the gap.

- ``people``: active people living in the district (their ``district``) with at least one skill of
  the category (after synonym normalisation);
- ``demand``: unfilled seats (headcount less those accepted or served) of open tasks in the district whose
  window overlaps the range; a task counts for the category of its first required skill, else of
  its first wanted skill the vocabulary knows, else ``other``;
- ``gap``: seats the people could not cover even if every one of them served once, i.e.
  ``max(demand - people, 0)``; ``ratio`` is people per open seat (None without demand).
"""
import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from matcher.categories import CATEGORIES

from ..extensions import db
from ..models import SEATED, Assignment, Task, Volunteer
from ..types import utcnow

OTHER = "other"
DEFAULT_DAYS = 30


def _categories_of(skills, vocab, cache):
    """The set of categories a list of skill names covers (memoised per distinct list)."""
    key = tuple(skills or ())
    found = cache.get(key)
    if found is None:
        found = cache[key] = frozenset(r.skill.category for r in map(vocab.resolve, key) if r.skill is not None)
    return found


def _task_category(task, vocab):
    for name in (*task.required_skills, *task.skills):
        resolved = vocab.resolve(name)
        if resolved.skill is not None:
            return resolved.skill.category
    return OTHER


def coverage(district=None, category=None, starts=None, ends=None):
    """The coverage table as a dict: the range, the rows (district x category), and totals."""
    starts = starts or utcnow()
    ends = ends or starts + dt.timedelta(days=DEFAULT_DAYS)
    from matcher.skills import default_vocabulary  # scikit-learn: loaded when a report is asked for

    vocab = default_vocabulary()
    people = Counter()
    stmt = select(Volunteer.district, Volunteer.skills).where(Volunteer.active.is_(True))
    if district:
        stmt = stmt.where(Volunteer.district == district)
    cache = {}
    for home, skills in db.session.execute(stmt):
        for cat in _categories_of(skills, vocab, cache):
            people[(home, cat)] += 1

    accepted = (select(Assignment.task_id, func.count().label("n")).where(Assignment.status.in_(SEATED))
                .group_by(Assignment.task_id).subquery())
    stmt = (select(Task, func.coalesce(accepted.c.n, 0)).outerjoin(accepted, accepted.c.task_id == Task.id)
            .where(Task.status == "open", Task.ends_at > starts, Task.starts_at < ends))
    if district:
        stmt = stmt.where(Task.district == district)
    demand = Counter()
    for task, taken in db.session.execute(stmt):
        demand[(task.district, _task_category(task, vocab))] += max(task.headcount - taken, 0)

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
