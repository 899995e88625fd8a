"""Skill names in Chinese or English, normalised through a vocabulary with a TF-IDF fallback.

The vocabulary (``data/skills.json``) maps every known name and synonym to one canonical skill.
A word it does not know is compared with every known name by character n-gram TF-IDF cosine
similarity (scikit-learn), which needs no word segmentation for Chinese; a close enough name
lends its canonical skill with the similarity as strength, below 1.
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
from sklearn.feature_extraction.text import TfidfVectorizer

from .categories import CATEGORIES  # noqa: F401  (re-exported: the vocabulary's categories)

_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalise_term(text: str) -> str:
    """NFKC, case-folded, without spaces: the form names are compared in."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


def is_chinese(text: str) -> bool:
    """Whether a text contains CJK characters (reasons are then written in Chinese)."""
    return bool(_CJK.search(text))


@dataclass(frozen=True)
class Skill:
    """A canonical skill."""

    id: str
    zh: str
    en: str
    category: str


@dataclass(frozen=True)
class Resolved:
    """What a written skill name means: a canonical skill (or None) and how sure we are (0-1].

    ``key`` is the column the name occupies: the canonical id, or ``free:<name>`` for a word the
    vocabulary does not know (it still matches itself exactly).
    """

    text: str
    key: str
    skill: Skill | None
    strength: float
    fuzzy_key: str | None = None  # canonical id a free word resembles, with `strength` < 1


class SkillVocabulary:
    """Canonical skills with synonyms, and a TF-IDF fallback for unknown words.

    Parameters
    ----------
    skills : list of dict, optional
        Entries with ``id``, ``zh``, ``en``, ``category``, ``synonyms``; default: the shipped file.
    min_similarity : float
        Cosine similarity from which an unknown word counts as (a weaker form of) a known skill.

    Examples
    --------
    >>> vocab = SkillVocabulary()
    >>> vocab.resolve("心理咨询").skill.zh
    '心理疏导'
    """

    def __init__(self, skills: list[dict[str, Any]] | None = None, *, min_similarity: float = 0.5) -> None:
        if skills is None:
            skills = json.loads((files("matcher") / "data" / "skills.json").read_text("utf-8"))["skills"]
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
        self._terms = list(self.names_)
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(self._terms)
        self._resolve = functools.lru_cache(maxsize=65536)(self._resolve_uncached)

    def __len__(self) -> int:
        return len(self.skills_)

    def resolve(self, text: str) -> Resolved:
        """Map one written skill name to its canonical skill (exact, fuzzy, or none)."""
        return self._resolve(text)

    def _resolve_uncached(self, text: str) -> Resolved:
        term = normalise_term(text)
        skill_id = self.names_.get(term)
        if skill_id is not None:
            return Resolved(text, skill_id, self.skills_[skill_id], 1.0)
        similarity = (self._matrix @ self._vectorizer.transform([term]).T).toarray().ravel()
        best = int(np.argmax(similarity)) if len(similarity) else -1
        if best >= 0 and similarity[best] >= self.min_similarity:
            fuzzy = self.names_[self._terms[best]]
            return Resolved(text, "free:" + term, self.skills_[fuzzy], float(similarity[best]), fuzzy_key=fuzzy)
        return Resolved(text, "free:" + term, None, 1.0)

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
