"""Which lines of a test or build log survive, and the markers for the rest.

Every shell family (go test, rustc, pytest, the generic rules) answers the
same question: for each line, keep it or not. It records the answer in a
`Selection`, together with short labels for what it cut ("passing test",
"progress line", "repeated diagnostic") so the marker can say what is
missing. `render` then writes the kept lines verbatim and one marker per
cluster of cuts.

Markers cost tokens, so cuts that lie close together share one: a cluster
ends only where more than `MARKER_GAP` kept lines separate two cuts. A
condensed stretch (a header and an error line kept from each of forty
failures) is therefore announced once, where it starts, with the line
ranges it covers.

`Relevance` makes selection query-aware: a block or line that contains a
query term which only a minority of the blocks contain is kept whole.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from headroom.ccr import marker
from headroom.ccr.units import query_terms

__all__ = ["MARKER_GAP", "Relevance", "Selection", "render"]

#: Kept non-blank lines that may separate two cuts announced by one marker.
MARKER_GAP = 8
#: Ranges a marker names one by one; beyond this it names the span.
_MAX_RANGES = 3
#: A query term selects blocks only when at most 1/_RARE of them contain it.
_RARE = 4
#: Stems of the words every test log is made of; a question that uses them
#: ("which tests failed?") is answered by what is kept anyway.
_OUTCOME_WORDS = frozenset(
    {"test", "fail", "failure", "error", "warn", "warning", "run", "ok"}
    | {"build", "package", "result", "summary", "total"}
)
#: Trailing characters dropped from every kept line (as the lossless step does).
_TRAILING = " \t\r\f\v"


@dataclass(slots=True)
class Selection:
    """A keep/cut decision per line, plus labels for what the cuts were."""

    lines: Sequence[str]
    keep: bytearray = field(init=False)
    notes: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keep = bytearray(len(self.lines))

    def keep_line(self, index: int) -> None:
        self.keep[index] = 1

    def keep_range(self, start: int, end: int) -> None:
        """Keep lines `start` (inclusive) to `end` (exclusive)."""
        self.keep[start:end] = b"\x01" * (end - start)

    def note(self, index: int, label: str) -> None:
        """Say that an item of kind `label` starts at `index` and is cut, whole or in part.

        `label` is a singular noun phrase ("passing test"), or "singular|plural"
        when adding an "s" does not make the plural.
        """
        self.notes[index] = label

    def cut_lines(self) -> int:
        """How many non-blank lines are cut."""
        return sum(1 for i, k in enumerate(self.keep) if not k and self.lines[i].strip())


class Relevance:
    """Finds the blocks of a text that the user's question points at."""

    def __init__(self, query: str | None) -> None:
        terms = query_terms(query) if query else []
        # One-character terms ("2" in "exit 2") match almost any line, and the
        # outcome words match what every family keeps anyway.
        terms = [t for t in terms if len(t) > 1 and _stem(t) not in _OUTCOME_WORDS]
        self.patterns = [_term_pattern(t) for t in terms]

    def select(self, texts: Sequence[str]) -> set[int]:
        """Indexes of `texts` that contain a discriminating query term.

        A term found in more than a quarter of the texts (say "cast" in a run
        of cast lints) selects nothing: it does not tell the blocks apart.
        """
        if not self.patterns or not texts:
            return set()
        lowered = [t.lower() for t in texts]
        limit = max(1, len(texts) // _RARE)
        chosen: set[int] = set()
        for pattern in self.patterns:
            hits = [i for i, text in enumerate(lowered) if pattern.search(text)]
            if len(hits) <= limit:
                chosen.update(hits)
        return chosen


def _term_pattern(term: str) -> re.Pattern[str]:
    """A term matches a word that starts with it, give or take an inflection.

    "skipped" finds "SKIP:", "failed" finds "failure", "run" finds
    "running" but not "truncated", "tests" finds "test" but not
    "TestSpecialised". A number does not match inside a longer number or a
    hex id ("11" is not in "0xdeadbeef0011").
    """
    before = "[a-z0-9]" if term[0].isdigit() else "[a-z]"
    return re.compile(f"(?<!{before}){re.escape(_stem(term))}[a-z]{{0,4}}(?![a-z0-9])")


def _stem(term: str) -> str:
    """`term` without a common English ending: "skipped" → "skip", "tests" → "test"."""
    # A doubled consonant before -ed/-ing is undone: skipped → skipp → skip.
    for ending in ("ing", "ed", "s"):
        if term.endswith(ending) and len(term) - len(ending) >= 3 and term.isalpha():
            stem = term[: -len(ending)]
            if ending != "s" and len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] in "bdgmnpt":
                stem = stem[:-1]
            return stem
    return term


@dataclass(frozen=True, slots=True)
class _Cluster:
    runs: list[tuple[int, int]]  # 0-based, inclusive

    @property
    def omitted(self) -> int:
        return sum(b - a + 1 for a, b in self.runs)


def render(
    selection: Selection,
    *,
    ccr_id: str,
    with_ranges: bool = True,
    preface: Iterable[str] = (),
) -> str:
    """The kept lines, verbatim, with one marker where each cluster of cuts starts.

    `with_ranges` is False when the lines are not the original's lines (a
    terminal redraw was resolved), so line numbers would mislead. `preface`
    lines (markers for cuts made before selection) come first.
    """
    lines, keep = selection.lines, selection.keep
    clusters = _clusters(selection)
    runs = {run[0]: run[1] for cluster in clusters for run in cluster.runs}
    starts = {cluster.runs[0][0]: cluster for cluster in clusters}
    out: list[str] = list(preface)
    i, n = 0, len(lines)
    while i < n:
        if i in starts:
            out.append(_marker(starts[i], selection.notes, ccr_id, with_ranges))
        if i in runs:  # cut: announced by its cluster's marker
            i = runs[i] + 1
            continue
        if keep[i] or not lines[i].strip():  # a cut run of blank lines stays a blank line
            _append(out, lines[i].rstrip(_TRAILING))
        i += 1
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _append(out: list[str], line: str) -> None:
    """Append a kept line; blank lines never repeat."""
    if line or (out and out[-1]):
        out.append(line)


def _clusters(selection: Selection) -> list[_Cluster]:
    """Runs of cut lines (runs of blank lines excepted), grouped by proximity."""
    lines, keep = selection.lines, selection.keep
    clusters: list[_Cluster] = []
    kept_since = MARKER_GAP + 1
    i, n = 0, len(lines)
    while i < n:
        if keep[i]:
            kept_since += bool(lines[i].strip())
            i += 1
            continue
        j = i
        while j < n and not keep[j]:
            j += 1
        if any(lines[k].strip() for k in range(i, j)):
            if clusters and kept_since <= MARKER_GAP:
                clusters[-1].runs.append((i, j - 1))
            else:
                clusters.append(_Cluster([(i, j - 1)]))
            kept_since = 0
        i = j
    return clusters


def _marker(cluster: _Cluster, notes: dict[int, str], ccr_id: str, with_ranges: bool) -> str:
    counts: Counter[str] = Counter()
    for index in range(cluster.runs[0][0], cluster.runs[-1][1] + 1):
        label = notes.get(index)
        if label is not None:
            counts[label] += 1
    parts = [_count(n, label) for label, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    ranges = [(a + 1, b + 1) for a, b in cluster.runs]
    if len(ranges) > _MAX_RANGES and with_ranges:
        parts.append(f"between lines {ranges[0][0]} and {ranges[-1][1]}")
        ranges = []
    return marker(
        ccr_id=ccr_id,
        omitted=cluster.omitted,
        unit="lines",
        detail=", ".join(parts) or None,
        ranges=ranges if with_ranges else (),
    )


def _count(n: int, label: str) -> str:
    """`3 passing tests`; a label may spell its plural: "repeat of X|repeats of X"."""
    singular, _, plural = label.partition("|")
    return f"{n} {singular}" if n == 1 else f"{n} {plural or singular + 's'}"
