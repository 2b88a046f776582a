"""Writing a chosen view of a search.

The output is grouped by file, the layout of `rg --heading`: a file's path on
its own line, then its kept lines exactly as the tool printed them after the
path (`557:    def request(`, context lines as `12-text`). When some of a
file's lines are left out its header says how many and where:

    src/requests/sessions.py (29 matches; not shown: 27 lines in 76–511, 655–908)

Files with no line in view are listed after, one line per directory, each
with its match count and the span of its line numbers, so no matching file
disappears. A path list shows its kept paths whole, then every path folded
into a directory tree with counts. Lines that were not search output come
last, verbatim. One marker per kind of cut says what was left out and names
the id to retrieve it by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from headroom.ccr import marker
from headroom.ccr.markers import format_ranges
from headroom.compressors.search.choose import Plan
from headroom.compressors.search.parse import FileMatches, Line, Listing
from headroom.compressors.search.score import Term
from headroom.compressors.search.tree import directory_tree

__all__ = ["Rendered", "render"]

#: Kept lines longer than this are clipped to a window around the first term.
MAX_LINE_CHARS = 1000
_WINDOW_BEFORE = 150
_WINDOW = 500
#: The most directory lines a path list's tree may take.
TREE_LINES = 40


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    #: True when anything was left out or shortened (the original must be stored).
    lossy: bool


def render(listing: Listing, plan: Plan, terms: Sequence[Term], ccr_id: str) -> Rendered:
    """The text the model sees for `listing` under `plan`."""
    out: list[str] = []
    shown, clipped = _shown_files(listing, plan, terms, out)
    omitted_lines = listing.line_count - shown
    _hidden_files(listing, plan, out)
    omitted_paths = _paths(listing, plan, out)
    out.extend(listing.other)
    detail = "best matches for the query shown" if plan.by_query else "first lines of each file"
    if clipped:
        detail += f"; {clipped} long lines clipped"
    if omitted_lines or clipped:
        total = listing.line_count
        out.append(_marker(ccr_id, omitted_lines, "lines", total, f"{detail}; every file listed"))
    if omitted_paths:
        total = len(listing.paths)
        out.append(_marker(ccr_id, omitted_paths, "paths", total, "counted by directory above"))
    lossy = bool(omitted_lines or omitted_paths or clipped)
    if listing.dropped_records:
        detail = "rg --json begin/end records; offsets and spans of every line"
        out.append(_marker(ccr_id, listing.dropped_records, "records", None, detail))
        lossy = True
    return Rendered("\n".join(out) + "\n", lossy)


def _marker(ccr_id: str, omitted: int, unit: str, total: int | None, detail: str) -> str:
    return marker(ccr_id=ccr_id, omitted=omitted, unit=unit, total=total, detail=detail)


def _shown_files(
    listing: Listing, plan: Plan, terms: Sequence[Term], out: list[str]
) -> tuple[int, int]:
    """Write the files with kept lines; return how many lines were kept and clipped."""
    shown = clipped = 0
    for path, kept in plan.lines.items():
        entry = listing.files[path]
        header = _header(entry, kept)
        if header:
            out.append(header)
        for j in kept:
            text, was_clipped = _clip(entry.lines[j], terms)
            out.append(text)
            clipped += was_clipped
        shown += len(kept)
    return shown, clipped


def _header(entry: FileMatches, kept: Sequence[int]) -> str:
    """`path`, or `path (29 matches; not shown: 27 lines in 76–511, 655–908)`."""
    omitted = len(entry.lines) - len(kept)
    if not omitted:
        return entry.path
    ranges = _omitted_ranges(entry.lines, kept)
    where = f" in {format_ranges(ranges)}" if ranges else ""
    noun = "line" if omitted == 1 else "lines"
    return f"{entry.path} ({_matches(entry)}; not shown: {omitted} {noun}{where})".lstrip()


def _matches(entry: FileMatches) -> str:
    n = entry.matches
    return f"{n} match" if n == 1 else f"{n} matches"


def _omitted_ranges(lines: Sequence[Line], kept: Sequence[int]) -> list[tuple[int, int]]:
    """The line-number span of each run of left-out lines between kept ones."""
    keep = set(kept)
    ranges: list[tuple[int, int]] = []
    run: list[int] = []
    for j, line in enumerate([*lines, None]):
        if line is None or j in keep:
            if run:
                ranges.append((min(run), max(run)))
                run = []
        elif line.number is not None:
            run.append(line.number)
    return ranges


def _clip(line: Line, terms: Sequence[Term]) -> tuple[str, bool]:
    """The line as shown, or a window of it around the first query term when very long."""
    if len(line.shown) <= MAX_LINE_CHARS:
        return line.shown, False
    prefix = line.shown[: len(line.shown) - len(line.text)]
    lowered = line.text.lower()
    hits = [p for t in terms if (p := lowered.find(t.text)) >= 0]
    start = max(0, min(hits, default=0) - _WINDOW_BEFORE)
    window = line.text[start : start + _WINDOW]
    before = "…" if start else ""
    return f"{prefix}{before}{window}… [{len(line.text)} chars]", True


def _hidden_files(listing: Listing, plan: Plan, out: list[str]) -> None:
    """One line per directory of the files with no line in view."""
    groups: dict[str, list[str]] = {}
    for path, entry in listing.files.items():
        if path not in plan.lines:
            cut = max(path.rfind("/"), path.rfind("\\")) + 1
            name = path[cut:] or "(no path)"
            groups.setdefault(path[:cut], []).append(f"{name} {entry.matches}{_span(entry.lines)}")
    if not groups:
        return
    title = "Other files" if plan.lines else "Files"
    out.append(f"{title} (matches, line span):")
    for directory, items in groups.items():
        joined = ", ".join(items)
        out.append(f"{directory}: {joined}" if directory else joined)


def _span(lines: Sequence[Line]) -> str:
    numbers = [line.number for line in lines if line.number is not None]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    return f" ({low})" if low == high else f" ({low}–{high})"


def _paths(listing: Listing, plan: Plan, out: list[str]) -> int:
    """Write the kept paths and the directory tree; return how many paths were left out."""
    if not listing.paths:
        return 0
    kept = [listing.paths[i] for i in plan.paths]
    omitted = len(listing.paths) - len(kept)
    out.extend(kept)
    if omitted:
        out.append(f"All {len(listing.paths)} paths by directory (file count):")
        out.extend(directory_tree(listing.paths, max_lines=TREE_LINES))
    return omitted
