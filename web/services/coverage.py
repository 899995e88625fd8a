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

The report as the API and console show it (`report`): districts matched the way people type them
(``渝中`` finds ``渝中区``), the caller's own districts first, sorted by district (pinyin order) or by
gap, a page at a time; `table`, `csv_bytes` and `xlsx_bytes` write it for spreadsheets, formula-safe.
"""
import csv
import datetime as dt
import io
import json
import unicodedata
from collections import Counter

from marshmallow import ValidationError
from sqlalchemy import Text, cast, func, select

from matcher.categories import CATEGORIES

from ..auth import policy
from ..common.spreadsheet import safe_cell, safe_row
from ..common.text import msg
from ..extensions import db
from ..models import SEATED, Assignment, Station, Task, Volunteer
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
    """The coverage table as a dict: the range, the rows (district x category, districts in pinyin order), and totals.

    `district` is matched as people type it (see `find_district`); a name that matches none gives no rows.
    """
    starts = starts or utcnow()
    ends = ends or starts + dt.timedelta(days=DEFAULT_DAYS)
    from matcher.skills import default_vocabulary  # scikit-learn: loaded when a report is asked for

    if district:
        district = _match_district(district)[0] or district
    vocab = default_vocabulary()
    demand, tasks = _demand(vocab, district, starts, ends)
    people = _supply(vocab, district, tasks)

    rows = []
    for key in set(people) | set(demand):
        home, cat = key
        if category and cat != category:
            continue
        have, need = people.get(key, 0), demand.get(key, 0)
        if have == 0 and need == 0:
            continue
        rows.append({"district": home, "category": cat, "people": have, "demand": need,
                     "gap": max(need - have, 0), "ratio": round(have / need, 2) if need else None})
    rows = ordered(rows)
    totals = {name: sum(r[name] for r in rows) for name in ("people", "demand", "gap")}
    return {"from": starts, "to": ends, "district": district, "categories": category_labels(), "rows": rows,
            "totals": totals}


def category_order(category):
    names = list(CATEGORIES) + [OTHER]
    return names.index(category) if category in names else len(names)


def category_labels():
    """Every category with its Chinese and English name, in display order."""
    labels = [{"id": key, "zh": zh, "en": en} for key, (zh, en) in CATEGORIES.items()]
    return labels + [{"id": OTHER, "zh": "其他", "en": "other"}]


# -- the order of districts --------------------------------------------------------------------------
def pinyin_key(name):
    """A sort key that puts Chinese names in pinyin order (巴南区, 北碚区, 璧山区, 城口县, 重庆 as chong ...);
    None last. pypinyin reads a name as a phrase, so a character with several readings gets the right one."""
    from pypinyin import lazy_pinyin

    if name is None:
        return (1, [], "")
    name = unicodedata.normalize("NFKC", name)
    return (0, lazy_pinyin(name), name)


SORTS = ("district", "gap")


def ordered(rows, sort="district", first=()):
    """Rows of `first` districts before the others; within each, by district (pinyin) and category, or by
    gap (largest first, then most open seats, then district and category)."""
    keys = {}

    def place(district):
        if district not in keys:
            keys[district] = pinyin_key(district)
        return keys[district]

    def key(row):
        where = (row["district"] not in first, place(row["district"]))
        if sort == "gap":
            return (where[0], -row["gap"], -row["demand"], where[1], category_order(row["category"]))
        return (*where, category_order(row["category"]))

    return sorted(rows, key=key)


# -- districts as people type them ----------------------------------------------------------------

SUFFIXES = ("新区", "林区", "特区", "自治县", "自治旗", "区", "县", "市", "旗")
MAX_SUGGESTIONS = 5


def _bare(name):
    """A district's name without its 区/县/市/旗 (and an autonomous county's peoples): 渝中区 -> 渝中,
    石柱土家族自治县 -> 石柱, 忠县 -> 忠."""
    from matcher.gazetteer import short_name

    name = short_name(name) or name
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _district_queries(name=None):
    """Where the report's districts come from: active people, open tasks, stations (those named `name`)."""
    queries = (select(Volunteer.district).where(Volunteer.active.is_(True)),
               select(Task.district).where(Task.status == "open"), select(Station.district))
    column = (Volunteer.district, Task.district, Station.district)
    return [q.where(c.is_not(None) if name is None else c == name) for q, c in zip(queries, column)]


def known_districts():
    """Every district the report can show (of active people, open tasks or stations), in pinyin order."""
    found = set()
    for query in _district_queries():
        found.update(db.session.scalars(query.distinct()))
    return sorted(found, key=pinyin_key)


def _typed(text):
    return "".join(unicodedata.normalize("NFKC", text).split())


def _match_district(text):
    """(the district `text` means, or None; the names it might have meant)."""
    typed = _typed(text)
    if any(db.session.scalar(query.limit(1)) is not None for query in _district_queries(typed)):
        return typed, []
    known = known_districts()
    bare = _bare(typed)
    same = [name for name in known if _bare(name) == bare]
    if len(same) == 1:
        return same[0], []
    if same:
        return None, same
    from matcher.gazetteer import PlaceNotFound, default_gazetteer

    for guess in (typed, typed + "区", typed + "县"):  # a real district nobody lives in and no task is in
        try:
            place = default_gazetteer().resolve(guess)
        except PlaceNotFound:
            continue
        if _bare(place.name) == bare or place.name in typed:  # 城口 -> 城口县; 重庆市渝中区 -> 渝中区
            return place.name, []
    return None, [name for name in known if bare and bare in name]


def find_district(text):
    """The district a typed name means (渝中 -> 渝中区); a 422 naming the `district` field when none, with the
    nearest names."""
    found, maybe = _match_district(text)
    if found is None:
        name = _typed(text)
        why = (msg("no district called {name}; did you mean {choices}?", name=name, choices=maybe[:MAX_SUGGESTIONS])
               if maybe else msg("no district called {name}", name=name))
        raise ValidationError({"district": [why]})
    return found


def own_districts(actor):
    """The districts of a coordinator's stations (none for others)."""
    stations = policy.coordinator_scope(actor)
    if not stations:
        return []
    return sorted(set(db.session.scalars(select(Station.district).where(Station.id.in_(stations),
                                                                        Station.district.is_not(None)))),
                  key=pinyin_key)


# -- the report as the API shows it ---------------------------------------------------------------

def report(actor, district=None, category=None, starts=None, ends=None, *, sort="district", own_first=True,
           page=1, page_size=None, strict=True):
    """The coverage report for `actor` (admins and coordinators): `coverage` with the district matched
    (`strict`: a 422 when it matches none), the actor's own districts first (`own_first`), sorted, and one
    page of `page_size` rows (all rows without one). Totals are over every page."""
    policy.may_read_reports(actor)
    if district:
        district = find_district(district) if strict else (_match_district(district)[0] or district)
    full = coverage(district=district, category=category, starts=starts, ends=ends)
    mine = own_districts(actor)
    rows = ordered(full["rows"], sort, mine if own_first else ())
    pages = max(1, -(-len(rows) // page_size)) if page_size else 1
    shown = rows[(page - 1) * page_size: page * page_size] if page_size else rows
    return {**full, "rows": shown, "district": district, "sort": sort, "page": page, "page_size": page_size,
            "pages": pages, "total_rows": len(rows), "own_districts": mine, "districts": known_districts()}


# -- spreadsheets ---------------------------------------------------------------------------------

HEADER = ("区县 district", "技能类别 category", "可服务人数 people", "待补岗位 open seats", "缺口 gap",
          "人数/岗位 people per seat")


def table(report, chinese=True):
    """The report's rows as spreadsheet rows (a header row first): category names in the chosen language."""
    names = {c["id"]: c["zh" if chinese else "en"] for c in report["categories"]}
    return [HEADER, *((r["district"] or "", names.get(r["category"], r["category"]), r["people"], r["demand"],
                       r["gap"], r["ratio"]) for r in report["rows"])]


def csv_bytes(rows):
    """UTF-8 CSV with a BOM (Excel reads it as UTF-8); a cell starting with = + - @ tab or CR gets a '."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(safe_row(row))
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows, title="coverage"):
    """An Excel workbook of the rows: numbers as numbers, every text as text (a formula-leading one is kept
    as text with Excel's quote prefix, so it is shown, never run), the header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEF", (16, 18, 14, 14, 10, 14)):
        sheet.column_dimensions[column].width = width

    def cell(value, bold=False):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters: a workbook may not hold them
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            made.data_type = "s"  # never "f": openpyxl would store "=..." as a formula
            made.quotePrefix = safe_cell(value) != value
        if bold:
            made.font = Font(bold=True)
        return made

    header, *body = rows
    sheet.append([cell(value, bold=True) for value in header])
    for row in body:
        sheet.append([cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
