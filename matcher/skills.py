"""Skill names in Chinese or English, normalised through a vocabulary, with what other words imply.

The vocabulary (``data/skills.json``) maps every known name and synonym to one canonical skill,
and (``implies``) occupations, certificates and languages to the skills they are evidence for,
each with a strength below or at 1 (a pharmacist can explain medicines: health education 0.8).
Names are compared after NFKC, traditional-to-simplified conversion (OpenCC's data, shipped in
the ``opencc`` wheel), case folding and removing spaces.

A word the vocabulary does not know is, in order:

1. read through the longest known name it contains (``资深护士`` holds ``护士``: nursing, 0.9) —
   dictionary segmentation, which is what word segmentation would find for these words;
2. compared with every known name by TF-IDF cosine over character *bigrams and trigrams* for
   Chinese (and trigrams for Latin letters): sharing one character is no evidence (美术 fine art
   is not 美容 beauty care, 中医 is not 中介), sharing a two-character word is;
3. else left as itself (it still matches the same word exactly).
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import numpy as np
import opencc
from sklearn.feature_extraction.text import TfidfVectorizer

from .categories import CATEGORIES  # noqa: F401  (re-exported: the vocabulary's categories)

_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_RUNS = re.compile(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]+")
_T2S = opencc.OpenCC("t2s.json")
CONTAINED = 0.9  # strength of a known name found inside a longer word
MIN_CONTAINED = 2  # characters a known name needs to count inside a longer word (4 for Latin letters)


@functools.lru_cache(maxsize=65536)
def normalise_term(text: str) -> str:
    """NFKC, traditional characters as simplified, case-folded, without spaces: the form names are compared in."""
    return _SPACES.sub("", _T2S.convert(unicodedata.normalize("NFKC", text))).casefold()


def is_chinese(text: str) -> bool:
    """Whether a text contains CJK characters (reasons are then written in Chinese)."""
    return bool(_CJK.search(text))


def _grams(term: str) -> list[str]:
    """Character bigrams and trigrams of the Chinese runs, trigrams of the others: never single characters."""
    grams = []
    for run in _CJK_RUNS.findall(term):
        sizes = (2, 3) if _CJK.match(run) else (3,)
        if len(run) < min(sizes):
            grams.append(run)  # a lone character or a short code (PS, CPR) is a gram of its own
        for n in sizes:
            grams.extend(run[i:i + n] for i in range(len(run) - n + 1))
    return grams


@dataclass(frozen=True)
class Skill:
    """A canonical skill."""

    id: str
    zh: str
    en: str
    category: str


Implied = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Resolved:
    """What a written skill name means: a canonical skill (or None) and how sure we are (0-1].

    ``key`` is the column the name occupies: the canonical id, or ``free:<name>`` for a word the
    vocabulary does not know as a skill (it still matches itself exactly). ``fuzzy_key`` is the
    canonical id a look-alike word (or one holding a known name) stands for, with ``strength`` < 1.
    ``implied`` are the skills an occupation, certificate or language is evidence for, with their
    strengths. ``skill`` is the skill the word mostly means (for categories), if any.
    """

    text: str
    key: str
    skill: Skill | None
    strength: float
    fuzzy_key: str | None = None
    implied: Implied = ()

    @functools.cached_property
    def alternatives(self) -> dict[str, float]:
        """Every column key this word stands for, with its strength: itself, its look-alike, what it implies."""
        found = {self.key: 1.0}
        for key, strength in ((self.fuzzy_key, self.strength), *self.implied):
            if key is not None and strength > found.get(key, 0.0):
                found[key] = strength
        return found

    @functools.cached_property
    def asked(self) -> dict[str, float]:
        """The column keys that answer this word when a task asks for it.

        A canonical skill is answered by its own column: everyone's words already put what they
        imply there (a nurse's 护理 holds 养老护理 at 0.8), so its related skills are not looked
        up again. Any other word (an occupation, a certificate, a look-alike) is answered by all
        it stands for: a task asking for a 驾驶证 is answered by drivers.
        """
        if self.skill is not None and self.key == self.skill.id:
            return {self.key: 1.0}
        return self.alternatives


class SkillVocabulary:
    """Canonical skills with synonyms, what occupations, certificates and languages imply, and fallbacks.

    Parameters
    ----------
    skills : list of dict, optional
        Entries with ``id``, ``zh``, ``en``, ``category``, ``synonyms``; default: the shipped file.
    implies : list of dict, optional
        Entries with ``names`` and ``skills`` ({skill id: strength}); default: the shipped file's
        when `skills` is not given, else none.
    min_similarity : float
        Cosine similarity from which an unknown word counts as (a weaker form of) a known skill.

    Examples
    --------
    >>> vocab = SkillVocabulary()
    >>> vocab.resolve("心理咨询").skill.zh
    '心理疏导'
    """

    def __init__(self, skills: list[dict[str, Any]] | None = None, *, implies: list[dict[str, Any]] | None = None,
                 min_similarity: float = 0.5) -> None:
        if skills is None:
            data = json.loads((files("matcher") / "data" / "skills.json").read_text("utf-8"))
            skills, implies = data["skills"], data.get("implies", []) if implies is None else implies
        self.min_similarity = min_similarity
        self.skills_: dict[str, Skill] = {}
        self.names_: dict[str, str] = {}
        for entry in skills:
            skill = Skill(entry["id"], entry["zh"], entry["en"], entry["category"])
            self.skills_[skill.id] = skill
            for name in [entry["zh"], entry["en"], entry["id"], *entry.get("synonyms", [])]:
                key = normalise_term(name)
                if self.names_.get(key, skill.id) != skill.id:
                    raise ValueError(f"skill name {name!r} belongs to two skills")
                self.names_[key] = skill.id
        self.implied_: dict[str, Implied] = {}
        for entry in skills:  # a skill's `related` skills: every name of it is some evidence for them
            if entry.get("related"):
                implies = [{"names": [entry["zh"], entry["en"], entry["id"], *entry.get("synonyms", [])],
                            "skills": entry["related"]}, *(implies or [])]
        for entry in implies or []:
            unknown = set(entry["skills"]) - set(self.skills_)
            if unknown:
                raise ValueError(f"{entry['names'][0]!r} implies unknown skills {sorted(unknown)}")
            for name in entry["names"]:
                key = normalise_term(name)
                merged = dict(self.implied_.get(key, ()))
                for skill_id, strength in entry["skills"].items():
                    merged[skill_id] = max(merged.get(skill_id, 0.0), strength)
                self.implied_[key] = tuple(sorted(merged.items(), key=lambda kv: -kv[1]))
        self._terms = list(self.names_)
        self._vectorizer = TfidfVectorizer(analyzer=_grams, sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(self._terms)
        self._longest = max(map(len, [*self.names_, *self.implied_]), default=0)
        self._resolve = functools.lru_cache(maxsize=65536)(self._resolve_uncached)

    def __len__(self) -> int:
        return len(self.skills_)

    def resolve(self, text: str) -> Resolved:
        """Map one written skill name to its canonical skill (exact, fuzzy, or none)."""
        return self._resolve(text)

    def _resolve_uncached(self, text: str) -> Resolved:
        term = normalise_term(text)
        implied = self.implied_.get(term, ())
        skill_id = self.names_.get(term)
        if skill_id is not None:
            return Resolved(text, skill_id, self.skills_[skill_id], 1.0, implied=implied)
        if implied:
            return Resolved(text, "free:" + term, self.skills_[implied[0][0]], 1.0, implied=implied)
        inside = self._contained(term)
        if inside:
            return Resolved(text, "free:" + term, self.skills_[inside[0][0]], 1.0, implied=inside)
        similarity = (self._matrix @ self._vectorizer.transform([term]).T).toarray().ravel()
        best = int(np.argmax(similarity)) if len(similarity) else -1
        if best >= 0 and similarity[best] >= self.min_similarity:
            fuzzy = self.names_[self._terms[best]]
            return Resolved(text, "free:" + term, self.skills_[fuzzy], float(similarity[best]), fuzzy_key=fuzzy)
        return Resolved(text, "free:" + term, None, 1.0)

    def _contained(self, term: str) -> Implied:
        """What the known names inside `term` stand for, at CONTAINED strength: each name found and not
        itself inside a longer one found (急救技能培训: 急救 and 技能培训), longest first."""
        found: list[tuple[int, int]] = []
        for size in range(min(len(term) - 1, self._longest), MIN_CONTAINED - 1, -1):
            for start in range(len(term) - size + 1):
                part = term[start:start + size]
                if ((part in self.names_ or part in self.implied_) and (is_chinese(part) or size >= 4)
                        and not any(s <= start and start + size <= s + n for s, n in found)):
                    found.append((start, size))
        strengths: dict[str, float] = {}
        for start, size in found:
            part = term[start:start + size]
            pairs = ([(self.names_[part], 1.0)] if part in self.names_ else []) + list(self.implied_.get(part, ()))
            for key, value in pairs:
                strengths[key] = max(strengths.get(key, 0.0), round(value * CONTAINED, 4))
        return tuple(strengths.items())

    def label(self, key: str, chinese: bool) -> str:
        """Display name of a column key."""
        if key.startswith("free:"):
            return key[5:]
        skill = self.skills_[key]
        return skill.zh if chinese else skill.en


@functools.cache
def default_vocabulary() -> SkillVocabulary:
    """The process-wide vocabulary over the shipped skills file."""
    return SkillVocabulary()
