"""Column headers in Chinese or English -> the API's field names (see README, "Headers the importer reads").

A column is read as a field by, in this order:

1. `--mapping` ({header: field}): always, whatever its header or values;
2. its header, an exact alias (`ALIASES`, compared after `normalise_header`), a field's own API
   name before the other aliases (`external_id` before `id`);
3. its header, similar to an alias: an alias inside it (服务时间段 holds 服务时间; 联系电话/手机), one of
   its words (Mobile No., Volunteer Name), or a near spelling (Adress). Where a field's values can be
   checked (a phone, a place, a role ...) a sample of them must agree, else the column is not read;
4. its values, when no header decided it: a bounded sample of the first rows (`SAMPLE_ROWS`) of mobile
   numbers is a phone, of addresses beginning with a province, city or district an address, of lists
   of known skills the skills, of ID numbers an ID number, of availability phrases the availability.
   Only fields no column has claimed are given this way, and only to a column alone in looking so.

A column about someone else (an emergency contact: 紧急联系人电话, 家属电话, emergency phone ...) is
never read as any of the person's fields, and a place that is not where the person lives (户籍地址,
籍贯) never as their address, by likeness or values: only `--mapping` can. volmatch keeps no
emergency contact, so such a column is listed as not imported, saying why. Nor are keys of the API's
bodies that only volmatch sets (`API_ONLY`: requested_station_id, volunteer_number ...) read as anything.
Each field is read from one column: the first that claims it at the earliest step.
"""
import functools
import itertools
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

from rapidfuzz import fuzz, process

from ...common.personal import normalize_id_number, normalize_phone
from ...common.text import msg
from .cells import clean, parse_availability, phone_text, split_list

# Field -> the headers older systems use for it (compared after normalise_header).
ALIASES = {
    "name": ["姓名", "名字", "志愿者姓名", "name", "full name", "fullname"],
    "phone": ["手机", "手机号", "手机号码", "联系电话", "电话", "联系方式",
              "mobile", "phone", "phone number", "tel", "telephone"],
    "id_number": ["身份证号", "身份证", "身份证号码", "证件号码", "证件号", "公民身份号码",
                  "id number", "id_number", "id card", "idcard"],
    "external_id": ["志愿者编号", "编号", "志愿者号", "志愿者证号",
                    "external id", "external_id", "volunteer id", "volunteer no", "id"],
    "skills": ["技能", "特长", "专业技能", "个人特长", "技能特长", "服务技能", "服务类别", "服务意向",
               "skills", "skill", "specialty"],
    "address": ["地址", "居住地址", "家庭住址", "住址", "服务区域", "所在地", "居住地", "现居住地",
                "address", "home address", "area"],
    "lat": ["纬度", "lat", "latitude"],
    "lon": ["经度", "lon", "lng", "longitude"],
    "location": ["location"],  # the API's {lat, lon} object (JSON Lines)
    "district": ["district"],
    "availability": ["服务时间", "空闲时间", "可服务时间", "志愿服务时间", "服务时段", "空闲时段", "可服务时段",
                     "availability", "free time", "available"],
    "station": ["所属服务站", "服务站", "所属站点", "站点", "station", "station id", "station_id"],
    "languages": ["语言", "掌握语言", "languages", "language"],
    "certificates": ["证书", "资格证", "资格证书", "职业资格", "certificates", "certificate", "qualifications"],
    "role": ["身份", "人员类型", "类型", "role", "type"],
    "max_distance_km": ["服务半径", "服务距离", "可服务距离", "max distance", "max_distance_km", "radius"],
    "tier": ["级别", "骨干", "tier"],
    "max_hours_per_week": ["每周可服务小时", "每周时长", "max hours per week", "max_hours_per_week"],
    "active": ["active"],
}
ROLE_WORDS = {"志愿者": "volunteer", "volunteer": "volunteer", "社工": "social_worker", "社会工作者": "social_worker",
              "社工师": "social_worker", "social worker": "social_worker", "social_worker": "social_worker"}
TIER_WORDS = {"骨干": "core", "核心": "core", "core": "core", "是": "core", "yes": "core", "y": "core", "1": "core",
              "普通": "regular", "regular": "regular", "否": "regular", "no": "regular", "n": "regular", "0": "regular"}
ACTIVE_WORDS = {"true": True, "false": False, "是": True, "否": False, "yes": True, "no": False, "y": True, "n": False,
                "1": True, "0": False, "在册": True, "有效": True, "无效": False, "停用": False}

# Keys of the API's volunteer bodies that an import never sets (JSON Lines of the API's own shape carry
# them): never read as another field by likeness (requested_station_id is not the station).
API_ONLY = frozenset({"volunteer_number", "requested_station_id", "identity_verified", "created_at", "updated_at", "token",
                      "services_completed", "services_dropped"})
SAMPLE_ROWS = 200  # rows whose values may decide a column: header logic stays cheap on any file
HEADER_CHARS = 60  # a longer header is compared exactly only (no likeness, no values)
SIMILAR_SCORE = 85  # rapidfuzz ratio from which an ASCII header is a near spelling of an alias
MIN_VALUES = 2  # values a sample needs before they decide anything
# Share of a column's sampled values that must read as a field for its values to make it that field.
BY_VALUES = {"phone": 0.8, "id_number": 0.8, "availability": 0.8, "address": 0.8, "skills": 0.6}
AGREE = 0.5  # share of a similar header's sampled values that must read as its field

_PUNCT = re.compile(r"[\s_\-:：()（）*＊/\\.,，。、;；|&+#?？!！\[\]【】<>《》\"'“”‘’]+")
_NOISE = re.compile(r"必填|选填|请填写|请输入|\brequired\b|\boptional\b")
_CJK = re.compile(r"[\u3400-\u9fff]")

# A column about someone else: its marker, or an emergency word with a contact word.
_FAMILY = re.compile(r"紧急联系|应急联系|家属|亲属|家人|监护人|家长|父母|父亲|母亲|配偶|\bguardian|\bkin\b|\brelatives?\b"
                     r"|\bparents?\b|\bspouse\b|\bice\b")
_EMERGENCY = re.compile(r"紧急|应急|emergency")
_CONTACT = re.compile(r"联系|联络|电话|手机|号码|姓名|方式|contact|phone|tel|mobile|name|number|\bno\b")
# A place that is not where the person lives: never their address, unless the mapping says so.
_OTHER_PLACE = re.compile(r"籍贯|户籍|户口|出生|祖籍|老家|单位|公司|学校|\bnative|birth|hometown|\bwork|office|company"
                          r"|school")


def normalise_header(text):
    """NFKC, case-folded, punctuation as single spaces, without 必填/选填: '手机号（必填）' and 'Phone Number' compare cleanly."""
    text = _PUNCT.sub(" ", unicodedata.normalize("NFKC", str(text or ""))).casefold()
    return " ".join(_NOISE.sub(" ", text).split())


_LOOKUP = {normalise_header(alias): f for f, aliases in ALIASES.items() for alias in aliases}
_OWN = {normalise_header(f): f for f in ALIASES} | {"station id": "station"}
_COMPACT = {key.replace(" ", ""): f for key, f in _LOOKUP.items()}
_CJK_ALIASES = sorted((key for key in _LOOKUP if _CJK.search(key) and len(key) >= 2), key=len, reverse=True)
_ASCII_ALIASES = [key for key in _LOOKUP if key.isascii() and len(key) >= 4]
_LONG_ASCII_ALIASES = [key for key in _ASCII_ALIASES if len(key) >= 5 and " " not in key]


@dataclass
class Read:
    """How one column is read: `field` (None: not imported), `how` ('mapping', 'header', 'similar header',
    'values'; for a column not read: 'unknown', 'emergency contact', 'not home', 'taken', 'ambiguous',
    'disagrees') and `like` (the alias it resembles, what its values showed, or why it is not read)."""

    index: int
    header: str
    field: str | None = None
    how: str = "unknown"
    like: str = ""

    def shown(self):
        """What the summary (and a job's answer) says of an imported column: column, field, how, like."""
        return {"column": self.label, "field": self.field, "how": self.how, "like": self.like}

    @property
    def label(self):
        """The header as shown (clipped), or 'column 3' for a column without one."""
        return _shown(self.header) if self.header.strip() else f"column {self.index + 1}"


@dataclass
class HeaderMap:
    """The columns of one file: {index: field}, each column's `Read`, and the not-imported ones as listed."""

    columns: dict = field(default_factory=dict)
    reads: list = field(default_factory=list)

    @property
    def read(self):
        """The imported columns, in file order, as `Read.shown()` dicts."""
        return [r.shown() for r in self.reads if r.field is not None]

    @property
    def unknown(self):
        """The headers not imported, each with why when there is more to say than "unknown"."""
        return [_unknown_text(r) for r in self.reads if r.field is None and (r.header.strip() or r.how != "unknown")]


def _unknown_text(r):
    note = {"emergency contact": "emergency contact: no field for it", "not home": "not where the person lives",
            "api only": "set by volmatch, not by an import"}.get(r.how)
    if r.how in ("taken", "ambiguous", "disagrees"):
        note = r.like
    return f"{r.label} ({note})" if note else r.label


def _shown(header, chars=40):
    text = str(header)
    return text if len(text) <= chars else text[:chars] + "…"


def describe(read):
    """An imported column (a `Read.shown()` dict) as the summary says it: '联系电话/手机 → phone (a header like 联系电话)'."""
    how, column, field, like = read["how"], read["column"], read["field"], read["like"]
    if how == "mapping":
        return msg("{column} → {field} (mapping)", column=column, field=field)
    if how == "similar header":
        return msg("{column} → {field} (a header like {like})", column=column, field=field, like=like)
    if how == "values":
        return msg("{column} → {field} (from its values: {like})", column=column, field=field, like=like)
    return msg("{column} → {field}", column=column, field=field)


def _is_emergency(key):
    return bool(_FAMILY.search(key) or (_EMERGENCY.search(key) and _CONTACT.search(key)))


def _exact(key):
    return _OWN.get(key) or _LOOKUP.get(key) or _COMPACT.get(key.replace(" ", ""))


@functools.lru_cache(maxsize=4096)
def _similar(key):
    """(field, alias) a header resembles, or None: an alias among its words or inside it, or a near spelling.

    When several fields are found the one named first wins: the first word says whose it is (站点名称 is
    the station's, not a name).
    """
    if not key or len(key) > HEADER_CHARS:
        return None
    hits = []  # (start, -length, field, alias) in the header without spaces
    words = key.split(" ")
    offsets, at = [], 0
    for w in words:
        offsets.append(at)
        at += len(w)
    for size in range(len(words), 0, -1):  # runs of words, longest first: "volunteer name" -> name
        for i in range(len(words) - size + 1):
            run = " ".join(words[i:i + size])
            found = _LOOKUP.get(run) or _COMPACT.get(run.replace(" ", ""))
            if found:
                hits.append((offsets[i], -len(run.replace(" ", "")), found, run))
    compact = key.replace(" ", "")
    inside = _CJK_ALIASES if _CJK.search(compact) else _LONG_ASCII_ALIASES if " " not in key else ()
    for alias in inside:  # 联系电话手机, mobilephone
        start = compact.find(alias)
        while start >= 0:
            hits.append((start, -len(alias), _LOOKUP[alias], alias))
            start = compact.find(alias, start + 1)
    if hits:
        spans = [(s, s - n) for s, n, _, _ in hits]
        # An alias inside a longer one found (手机 in 手机号码) is that one's part, not a hit of its own.
        kept = [h for h, (s, e) in zip(hits, spans) if not any(s2 <= s and e <= e2 and (s2, e2) != (s, e) for s2, e2 in spans)]
        start, _, found, alias = min(kept)
        return found, alias
    if key.isascii() and len(compact) >= 4:
        best = process.extractOne(key, _ASCII_ALIASES, scorer=fuzz.ratio, score_cutoff=SIMILAR_SCORE)
        if best is not None:
            return _LOOKUP[best[0]], best[0]
    return None


def _header_text(header):
    """The header as compared, or None for one too long to be a header anyone typed (it is not read)."""
    text = str(header if header is not None else "").strip()
    return normalise_header(text) if len(text) <= 4 * HEADER_CHARS else None


def read_headers(headers, mapping=None, sample=()):
    """How each column of `headers` is read (a HeaderMap). `sample` is the first rows' values (lists, as the
    file gives them; only the first SAMPLE_ROWS are looked at), or a `Sample` of them kept between calls."""
    override = {normalise_header(k): v for k, v in (mapping or {}).items() if v}
    reads = [Read(i, "" if h is None else str(h)) for i, h in enumerate(headers)]
    keys = [_header_text(h) for h in headers]
    owner = {}  # field -> the Read that has it

    def claim(r, found, how, like=""):
        if found in owner:
            r.how, r.like = "taken", f"{found} is read from {owner[found].label}"
            return
        r.field, r.how, r.like = found, how, like
        owner[found] = r

    for r, key in zip(reads, keys):  # 1. the mapping
        key = normalise_header(r.header) if key is None and override else key
        if key in override:
            claim(r, override[key], "mapping")
    open_ = [(r, key) for r, key in zip(reads, keys) if r.how == "unknown" and key]
    for r, key in open_:  # 2. exact aliases, a field's own name first
        if _OWN.get(key):
            claim(r, _OWN[key], "header")
    for r, key in open_:
        if r.how == "unknown" and r.header.strip() in API_ONLY:
            r.how = "api only"
        elif r.how == "unknown" and _is_emergency(key):
            r.how = "emergency contact"
        elif r.how == "unknown" and (found := _exact(key)):
            claim(r, found, "header")
    values = sample if isinstance(sample, Sample) else Sample(sample)
    for r, key in open_:  # 3. similar headers, where their values agree
        if r.how != "unknown":
            continue
        similar = _similar(key)
        if similar is None:
            continue
        found, alias = similar
        if found == "address" and _OTHER_PLACE.search(key):
            r.how = "not home"
        elif found not in owner and (disagree := values.disagree(r.index, found)):
            r.how, r.like = "disagrees", f"a header like {alias}, but {disagree} do not read as {found}"
        else:
            claim(r, found, "similar header", alias)
    looks = {}  # 4. values, for columns no header decided
    for r, key in zip(reads, keys):
        if r.how in ("unknown", "disagrees") and key is not None:
            found = values.looks_like(r.index, skip=("address",) if _OTHER_PLACE.search(key) else ())
            if found is not None:
                looks.setdefault(found[0], []).append((r, found[1]))
    for found, candidates in looks.items():
        if len(candidates) == 1:
            r, why = candidates[0]
            if found in owner:
                r.how, r.like = "taken", f"{found} is read from {owner[found].label}"
            else:
                claim(r, found, "values", why)
        else:
            for r, _ in candidates:
                others = ", ".join(f"{o.label}'s" for o, _ in candidates if o is not r)
                if found in owner:
                    r.how, r.like = "taken", f"{found} is read from {owner[found].label}"
                else:
                    r.how, r.like = "ambiguous", f"its values look like {found}, as do {others}: name one with --mapping"
    return HeaderMap(columns={r.index: r.field for r in reads if r.field is not None}, reads=reads)


def map_headers(headers, mapping=None):
    """Return ({column index: field}, [headers not imported]) by header alone (no values)."""
    found = read_headers(headers, mapping)
    return found.columns, [r.header for r in found.reads if r.field is None and r.header not in (None, "")]


def names_people(cells, mapping=None):
    """Whether a row is the header: it has a name column (by an exact alias, or by likeness in a row of
    several cells: a title line such as 志愿者姓名汇总表 is not the header)."""
    columns = read_headers(cells, mapping).reads
    named = [r for r in columns if r.field == "name"]
    if not named:
        return False
    return named[0].how != "similar header" or sum(1 for c in cells if c not in (None, "") and str(c).strip()) >= 2


# What values read as a field.

def _is_phone(text):
    try:
        normalize_phone(phone_text(text))
    except ValueError:
        return False
    return True


def _is_id_number(text):
    try:
        normalize_id_number(text)
    except ValueError:
        return False
    return True


def _is_availability(text):
    try:
        return bool(parse_availability(text))
    except ValueError:
        return False


def _is_number(text):
    number = text.casefold()
    for unit in ("km", "公里", "千米", "小时"):
        number = number.replace(unit, "")
    try:
        float(number)
    except ValueError:
        return False
    return True


@functools.cache
def _place_names():
    """Names a home address begins with: provinces, cities, districts and counties (with their short forms)."""
    from matcher.gazetteer import default_gazetteer, short_name

    from ...common.schemas import app_gazetteer
    try:
        gazetteer = app_gazetteer()
    except RuntimeError:  # outside an app context
        gazetteer = default_gazetteer()
    names = set()
    for p in gazetteer:
        names.update(n for n in (p.province, short_name(p.province), p.city, short_name(p.city), p.name) if n)
    # Two-character names ending in 区 (东区, 城区) are everyday words, not places on their own.
    return frozenset(n for n in names if not (len(n) == 2 and n.endswith("区")))


def _is_place(text):
    text = "".join(text.split())
    names = _place_names()
    return any(text[:n] in names for n in range(2, min(len(text), 15) + 1))


@functools.cache
def _skill_names():
    """Every name and synonym of the shipped skills vocabulary, as compared (NFKC, case-folded, no spaces).

    Read from matcher/data/skills.json: the matcher's vocabulary object takes seconds to build."""
    data = json.loads(resources.files("matcher").joinpath("data", "skills.json").read_text("utf-8"))
    names = {_term(n) for entry in data["skills"] for n in (entry["zh"], entry["en"], *entry.get("synonyms", []))}
    return frozenset(n for n in names if len(n) >= 2)


def _term(text):
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _is_skill_list(text):
    """Whether a cell lists at least one known skill (as itself, or inside a short item: 擅长心理疏导)."""
    names = _skill_names()
    for item in split_list(text):
        term = _term(item)
        if term in names:
            return True
        if _CJK.search(term) and len(term) <= 12 and any(
                term[i:j] in names for i in range(len(term) - 1) for j in range(i + 2, len(term) + 1)):
            return True
    return False


_READS_AS = {
    "phone": (_is_phone, "are mobile numbers"),
    "id_number": (_is_id_number, "are ID numbers"),
    "availability": (_is_availability, "read as days and times"),
    "address": (_is_place, "begin with a place name"),
    "skills": (_is_skill_list, "name known skills"),
}
_AGREES = {
    "phone": _is_phone, "id_number": _is_id_number, "availability": _is_availability, "address": _is_place,
    "role": lambda t: t.casefold() in ROLE_WORDS, "tier": lambda t: t.casefold() in TIER_WORDS,
    "active": lambda t: t.casefold() in ACTIVE_WORDS, "lat": _is_number, "lon": _is_number,
    "max_distance_km": _is_number, "max_hours_per_week": _is_number,
}
# The longest cell that may read as each field: a longer one is not tested (the tests stay cheap).
_LONGEST = {"phone": 30, "id_number": 30, "availability": 80, "address": 300, "skills": 200}


class Sample:
    """The sampled values of each column, counted (each distinct value is tested once)."""

    def __init__(self, rows=()):
        self.rows = [row for row in itertools.islice(rows, SAMPLE_ROWS) if isinstance(row, (list, tuple))]
        self.counted, self.looks = {}, {}

    def of(self, index):
        counts = self.counted.get(index)
        if counts is None:
            counts = Counter()
            for row in self.rows:
                value = row[index] if index < len(row) else None
                if value is not None and type(value) not in (list, dict, bool):
                    text = clean(value)
                    if text:
                        counts[text] += 1
            self.counted[index] = counts
        return counts

    def share(self, index, test, need, longest):
        """(passing, total) of the column's values, or None once fewer than `need` of them can pass
        (a value longer than `longest` characters never does)."""
        counts = self.of(index)
        total = sum(counts.values())
        if total < MIN_VALUES:
            return None
        failing_allowed, passing, failing = total * (1 - need), 0, 0
        for text, count in counts.items():
            if len(text) <= longest and test(text):
                passing += count
            else:
                failing += count
                if failing > failing_allowed:
                    return None
        return passing, total

    def disagree(self, index, found):
        """'3 of 3 values' when too few of a similar header's values read as its field, else ''."""
        test = _AGREES.get(found)
        if test is None or sum(self.of(index).values()) < MIN_VALUES:
            return ""
        counts = self.of(index)
        total = sum(counts.values())
        longest = _LONGEST.get(found, 300)
        bad = sum(c for t, c in counts.items() if not (len(t) <= longest and test(t)))
        return f"{bad} of {total} values" if bad > total * (1 - AGREE) else ""

    def looks_like(self, index, skip=()):
        """(field, why) the column's values read as, or None (worked out once per column)."""
        if (index, skip) not in self.looks:
            self.looks[index, skip] = None
            for found, (test, says) in _READS_AS.items():
                share = None if found in skip else self.share(index, test, BY_VALUES[found], _LONGEST[found])
                if share is not None:
                    self.looks[index, skip] = found, f"{share[0]} of {share[1]} {says}"
                    break
        return self.looks[index, skip]
