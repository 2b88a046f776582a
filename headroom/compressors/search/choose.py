"""Which lines and paths of a search to keep in view.

A line is a candidate when it contains a query term, or when its file's path
does (the question names the file). A line's score is its own score (context
lines count for less than matches, a line that defines a name the query asks
for counts for more) plus its path's score. Candidates are taken
best first, ties in their original order, while they score at least
`RELATIVE_FLOOR` of the best one, up to `Limits.per_file` lines per file and
`Limits.total` in all; both limits scale with `CompressContext.keep_factor`,
and a token budget, when one is given, lowers the total.
The best few keep the context lines (`-C`) printed right around them.
When nothing matches the query (or there is none), the first lines of each
file are kept instead, so the reader still sees what the search found.

Every file keeps its name and match count whatever is chosen: the renderer
lists the files whose lines were all left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from headroom.compressors.search.parse import FileMatches, Line, Listing
from headroom.compressors.search.score import Term, defined_names, score_texts, term_scores

__all__ = ["Limits", "Plan", "choose"]

#: Lines kept per file and in all at keep_factor 1.0.
PER_FILE = 8
TOTAL = 40
#: Lines of each file kept when nothing matches the query.
FALLBACK_PER_FILE = 2
#: Candidates scoring below this share of the best one are left out.
RELATIVE_FLOOR = 0.15
#: How much a context line's own score counts next to a match line's.
CONTEXT_WEIGHT = 0.7
#: How much a file's path score counts for its lines that match nothing.
PATH_ONLY_WEIGHT = 0.5
#: Score factor for a line that defines a name the query asks for (`def request(`).
DEFINITION_BONUS = 1.5
#: The best lines shown with the context lines (`-C`) right above and below them.
WITH_CONTEXT = 5
#: Tokens a kept line is assumed to cost, to turn a token budget into a line limit.
TOKENS_PER_LINE = 30


@dataclass(frozen=True, slots=True)
class Limits:
    per_file: int
    total: int

    @classmethod
    def scaled(cls, keep_factor: float, budget_tokens: int | None = None) -> Limits:
        """The default limits times `keep_factor`, the total capped by a token budget."""
        factor = keep_factor if keep_factor > 0 else 1.0
        total = max(1, round(TOTAL * factor))
        if budget_tokens is not None:
            total = max(1, min(total, budget_tokens // TOKENS_PER_LINE))
        return cls(max(1, round(PER_FILE * factor)), total)


@dataclass(frozen=True, slots=True)
class Plan:
    """The indexes kept: per file path (into its lines), and into `Listing.paths`."""

    lines: dict[str, list[int]]
    paths: list[int]
    #: True when the kept lines were chosen by the query, not by position.
    by_query: bool


def choose(listing: Listing, terms: Sequence[Term], limits: Limits) -> Plan:
    """The lines and paths to show for `terms`."""
    lines, by_query = _choose_lines(listing, terms, limits)
    return Plan(lines, _choose_paths(listing.paths, terms, limits), by_query)


def _choose_lines(
    listing: Listing, terms: Sequence[Term], limits: Limits
) -> tuple[dict[str, list[int]], bool]:
    files = list(listing.files.values())
    flat = [(f, j, line) for f, entry in enumerate(files) for j, line in enumerate(entry.lines)]
    scores = _line_scores(files, flat, terms)
    _favour_definitions(scores, [x[2].text for x in flat], terms, 4 * limits.total)
    owner = [x[0] for x in flat]
    picked = _best(scores, owner, limits)
    by_query = bool(picked)
    if by_query:
        picked += _context_around(flat, picked[:WITH_CONTEXT])
    else:
        picked = _first_lines(flat, limits)
    kept: dict[str, list[int]] = {}
    for i in sorted(set(picked)):
        f, j, _ = flat[i]
        kept.setdefault(files[f].path, []).append(j)
    return kept, by_query


def _line_scores(
    files: Sequence[FileMatches], flat: Sequence[tuple[int, int, Line]], terms: Sequence[Term]
) -> list[float]:
    """Each line's own score plus its path's.

    A term found in the paths of a few files names those files, so it does not
    count again in their lines: `express.json` names `express.json.js`, not its
    `express.json()` calls. A term in most paths (`requests` in
    `src/requests/…`) names nothing and counts everywhere.
    """
    per_term = term_scores([x[2].text for x in flat], terms, [x[2].number for x in flat])
    per_term_paths = term_scores([f.path for f in files], terms)
    path_scores = [0.0] * len(files)
    for in_paths in per_term_paths:
        for f, value in in_paths.items():
            path_scores[f] += value
    own = [0.0] * len(flat)
    for in_lines, in_paths in zip(per_term, per_term_paths, strict=True):
        names_files = 0 < len(in_paths) <= len(files) // 2
        for i, value in in_lines.items():
            if not names_files or flat[i][0] not in in_paths:
                own[i] += value
    scores = []
    for (f, _, line), text_score in zip(flat, own, strict=True):
        mine = text_score * (1.0 if line.is_match else CONTEXT_WEIGHT)
        scores.append(mine + path_scores[f] if mine > 0 else PATH_ONLY_WEIGHT * path_scores[f])
    return scores


def _favour_definitions(
    scores: list[float], texts: Sequence[str], terms: Sequence[Term], reach: int
) -> None:
    """Raise the score of the lines among the best `reach` that define a name asked for.

    Only the leading candidates are checked: a definition far down the ranking
    would not make the cut anyway, and checking every line would cost time.
    """
    ranked = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    leading = ranked[:reach]
    for i, is_definition in zip(
        leading, defined_names([texts[i] for i in leading], terms), strict=True
    ):
        if is_definition:
            scores[i] *= DEFINITION_BONUS


def _best(scores: Sequence[float], owner: Sequence[int], limits: Limits) -> list[int]:
    """Indexes of the best-scoring candidates within the limits, ties in input order."""
    candidates = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    if not candidates:
        return []
    floor = scores[candidates[0]] * RELATIVE_FLOOR
    per_file: dict[int, int] = {}
    picked: list[int] = []
    for i in candidates:
        if scores[i] < floor or len(picked) >= limits.total:
            break
        if per_file.get(owner[i], 0) < limits.per_file:
            per_file[owner[i]] = per_file.get(owner[i], 0) + 1
            picked.append(i)
    return picked


def _context_around(flat: Sequence[tuple[int, int, Line]], best: Sequence[int]) -> list[int]:
    """The context lines printed right before and after each of the `best` lines."""
    around: list[int] = []
    for i in best:
        f, _, line = flat[i]
        for k in (i - 1, i + 1):
            if 0 <= k < len(flat) and flat[k][0] == f and _is_context_of(flat[k][2], line):
                around.append(k)
    return around


def _is_context_of(other: Line, line: Line) -> bool:
    """Whether `other` is a context line printed right next to `line`."""
    if other.is_match or other.number is None or line.number is None:
        return False
    return abs(other.number - line.number) == 1


def _first_lines(flat: Sequence[tuple[int, int, Line]], limits: Limits) -> list[int]:
    """The first match lines of each file, in file order, within the limits."""
    per_file = min(FALLBACK_PER_FILE, limits.per_file)
    counts: dict[int, int] = {}
    picked: list[int] = []
    for i, (f, _, line) in enumerate(flat):
        if len(picked) >= limits.total:
            break
        if line.is_match and counts.get(f, 0) < per_file:
            counts[f] = counts.get(f, 0) + 1
            picked.append(i)
    return picked


def _choose_paths(paths: Sequence[str], terms: Sequence[Term], limits: Limits) -> list[int]:
    scores = score_texts(paths, terms)
    one_group = [0] * len(paths)
    return sorted(_best(scores, one_group, Limits(limits.total, limits.total)))
