"""Salience: how much information a sentence's words carry.

A word's information is its self-information in the language at large,
`-log p(word)`, read from wordfreq's frequency lists: "the" carries almost
none, "walrus" a lot. A sentence's salience is the mean over its words, so
boilerplate ("as shown below") ranks under a sentence full of specific terms.
Words missing from the list are rarer than anything in it and get the
highest cost.

wordfreq ships its lists inside its wheel, so nothing is downloaded. They are
read straight from its data files (gzip'd msgpack, the "cBpack" format that
wordfreq documents: a header, then lists of words per centibel of frequency),
because importing the `wordfreq` package itself pulls in ftfy, langcodes and
regex (about 200 ms); the "small" list of a language loads in about 15 ms,
once per process. When the files are not where wordfreq keeps them, its
public `get_frequency_list` is used instead; without wordfreq at all, every
word costs the same and salience falls back to word length.

The language is guessed from the script of the text and, for Latin script,
from its commonest function words.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import re
import threading
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["UNKNOWN_COST", "guess_language", "word_costs"]

#: Zipf value of a word as frequent as "the": information is measured from here.
_TOP_ZIPF = 8.0
#: The information of a word that is not in the list (the "small" lists stop at zipf 3).
UNKNOWN_COST = _TOP_ZIPF - 2.5

_cache: dict[str, dict[str, float]] = {}
_lock = threading.Lock()

#: Scripts other than Latin, as (first, last) code points and the language to assume.
_SCRIPTS = (
    ("\u3040", "\u30ff", "ja"),
    ("\uac00", "\ud7af", "ko"),
    ("\u4e00", "\u9fff", "zh"),
    ("\u0400", "\u04ff", "ru"),
    ("\u0370", "\u03ff", "el"),
    ("\u0590", "\u05ff", "he"),
    ("\u0600", "\u06ff", "ar"),
    ("\u0900", "\u097f", "hi"),
)
_BEYOND_LATIN = re.compile(r"[^\x00-\u024f]")
_FUNCTION_WORDS = {
    "en": "the and of to is that for with are this",
    "de": "der die und das ist nicht ein eine mit den",
    "fr": "le la les et est des une pour dans que",
    "es": "el la los las y es que una por para",
    "it": "il la che di e è per una sono gli",
    "pt": "o a os e é que uma para com não",
    "nl": "de het een en is van dat niet met voor",
    "sv": "och att det är som en på för med inte",
    "pl": "i w nie na się że jest do to z",
}
_FUNCTION_SETS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}
_LATIN_LETTER = re.compile(r"[A-Za-z]")
#: Characters of the text looked at to guess its language.
_SAMPLE = 4_000


def guess_language(text: str) -> str:
    """A wordfreq language code for `text` (English when unsure)."""
    sample = text[:_SAMPLE]
    if not sample.isascii():
        script = _dominant_script(sample)
        if script is not None:
            return script
    counts = Counter(sample.lower().split())
    votes = {lang: sum(counts[w] for w in found) for lang, found in _FUNCTION_SETS.items()}
    best = max(votes, key=lambda lang: (votes[lang], lang == "en"))
    return best if votes[best] > 0 else "en"


def _dominant_script(sample: str) -> str | None:
    """The language of the non-Latin script that dominates `sample`, if one does."""
    others = Counter(_BEYOND_LATIN.findall(sample))
    counts = dict.fromkeys((lang for _, _, lang in _SCRIPTS), 0)
    for ch, n in others.items():
        for first, last, lang in _SCRIPTS:
            if first <= ch <= last:
                counts[lang] += n
                break
    lang = max(counts, key=lambda k: counts[k])
    latin = len(_LATIN_LETTER.findall(sample))
    if counts["ja"] >= 10 and counts["ja"] + counts["zh"] > latin / 4:
        return "ja"  # Japanese mixes kana with Chinese characters
    return lang if counts[lang] >= 10 and counts[lang] > latin / 4 else None


def word_costs(lang: str) -> dict[str, float]:
    """Word → information (`8 - zipf`) for `lang`; empty when no list can be read."""
    costs = _cache.get(lang)
    if costs is None:
        with _lock:
            costs = _cache.get(lang)
            if costs is None:
                costs = _cache[lang] = _load(lang)
    return costs


def _load(lang: str) -> dict[str, float]:
    buckets = _read_data_file(lang)
    if buckets is None:
        buckets = _read_through_api(lang)
    costs: dict[str, float] = {}
    for centibels, words in enumerate(buckets):
        zipf = 9.0 - centibels / 100.0
        for word in words:
            costs.setdefault(word, max(0.0, _TOP_ZIPF - zipf))
    return costs


def _read_data_file(lang: str) -> list[list[str]] | None:
    """The buckets of wordfreq's "small" list for `lang`, read from its data file."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / f"small_{lang}.msgpack.gz"
    try:
        msgpack = importlib.import_module("msgpack")  # wordfreq's own dependency; untyped
        packed = gzip.decompress(path.read_bytes())
        data: Any = msgpack.unpackb(packed, raw=False)
    except (ImportError, OSError, EOFError, ValueError, zlib.error):
        return None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return None
    if data[0].get("format") != "cB":
        return None
    return [bucket if isinstance(bucket, list) else [] for bucket in data[1:]]


def _read_through_api(lang: str) -> list[list[str]]:
    try:
        import wordfreq
    except ImportError:
        return []
    try:
        return [list(bucket) for bucket in wordfreq.get_frequency_list(lang, wordlist="small")]
    except LookupError:
        return []
