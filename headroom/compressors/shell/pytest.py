"""pytest output: sections, failure reports, short summary.

pytest prints sections under `=== name ===` rules. What each one keeps:

- FAILURES / ERRORS: one report per test under a `___ name ___` rule. The
  first `FULL_REPORTS` reports, and any report that contains a query term
  only a few contain, stay whole. The others are condensed to their
  header, the failing source line (`>`), the first `ERROR_LINES` `E` lines
  of the assertion message (not its "+  where" explanations) and the
  location line (`file.py:46: AssertionError`): the fixture values, source
  context and intermediate frames go.
- PASSES (`-rP`): cut, counted as passing tests.
- short test summary info and the final `N failed, M passed in 0.12s`
  line: kept, except `PASSED` lines.
- everything else (session header, progress lines, warnings summary):
  the generic rules.

Output pasted with an indent (a docs page, a CI log prefix) is read through
the indent of its first section rule, and kept lines keep their indent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.compressors.shell import generic
from headroom.compressors.shell.selection import Relevance, Selection

__all__ = ["ERROR_LINES", "FULL_REPORTS", "claims", "select"]

#: Failure reports kept whole, first ones first (scaled by keep_factor).
FULL_REPORTS = 3
#: Non-blank `E` lines kept from each condensed report (scaled by keep_factor).
ERROR_LINES = 2

_SECTION = re.compile(r"(\s*)=+ (.+?) =+\s*$")
_REPORT = re.compile(r"_{2,} (.+?) _{2,}\s*$")
_FINAL = re.compile(r".*\b(?:passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b.* in ")
_KNOWN = ("test session starts", "failures", "errors", "short test summary info")
_ERROR_LINE = re.compile(r"E(?:\s|$)")
#: `E` lines a condensed report leaves out: blank ones and assertion rewriting's
#: "+  where 42 = f()" explanations.
_EXPLANATION = re.compile(r"E\s*(?:$|\+\s+(?:where|and)\b)")
_LOCATION = re.compile(r"[^\s:]+:\d+: \w")
_PASSED = re.compile(r"PASSED\s")


@dataclass(frozen=True, slots=True)
class _Section:
    name: str
    start: int  # the rule line
    end: int


def claims(lines: Sequence[str]) -> bool:
    """Whether the text holds a pytest run: a known section rule or the final line."""
    for line in lines:
        match = _SECTION.match(line)
        name = match.group(2)[:200] if match else ""
        if match and (name.lower() in _KNOWN or _FINAL.match(name)):
            return True
    return False


def select(lines: Sequence[str], relevance: Relevance, keep_factor: float) -> Selection:
    view = _dedent(lines)
    selection = Selection(lines)
    sections = _sections(view)
    first = sections[0].start if sections else len(lines)
    loose = list(range(first))
    reports_seen = 0
    for section in sections:
        name = section.name.lower()
        body = range(section.start + 1, section.end)
        selection.keep_line(section.start)
        if name in ("failures", "errors"):
            reports_seen = _select_reports(
                selection, view, section, relevance, keep_factor, reports_seen
            )
        elif name == "passes":
            _drop_reports(selection, view, body)
        elif name == "short test summary info":
            for i in body:
                if _PASSED.match(view[i]):
                    selection.note(i, "passing test")
                else:
                    selection.keep_line(i)
        else:
            loose.extend(body)
    generic.select_lines(selection, loose, relevance, keep_factor=keep_factor)
    return selection


def _dedent(lines: Sequence[str]) -> list[str]:
    """The lines without the indent of the first section rule (where they have it)."""
    indent = next((m.group(1) for m in map(_SECTION.match, lines) if m), "")
    if not indent:
        return list(lines)
    size = len(indent)
    return [line[size:] if line.startswith(indent) else line for line in lines]


def _sections(view: Sequence[str]) -> list[_Section]:
    starts = [(i, m.group(2)) for i, m in enumerate(map(_SECTION.match, view)) if m]
    ends = [i for i, _ in starts[1:]] + [len(view)]
    return [_Section(name, i, end) for (i, name), end in zip(starts, ends, strict=True)]


def _reports(view: Sequence[str], section: _Section) -> list[range]:
    """The line ranges of the reports in a FAILURES or ERRORS section."""
    heads = [i for i in range(section.start + 1, section.end) if _REPORT.match(view[i])]
    ends = [*heads[1:], section.end]
    return [range(a, b) for a, b in zip(heads, ends, strict=True)]


def _select_reports(
    selection: Selection,
    view: Sequence[str],
    section: _Section,
    relevance: Relevance,
    keep_factor: float,
    seen: int,
) -> int:
    reports = _reports(view, section)
    if not reports:
        selection.keep_range(section.start, section.end)
        return seen
    selection.keep_range(section.start, reports[0].start)  # anything before the first report
    wanted = relevance.select(["\n".join(view[i] for i in r) for r in reports])
    full = max(1, round(FULL_REPORTS * keep_factor))
    errors = max(1, round(ERROR_LINES * keep_factor))
    for number, report in enumerate(reports):
        if seen + number < full or number in wanted:
            selection.keep_range(report.start, report.stop)
        else:
            _condense(selection, view, report, errors)
    return seen + len(reports)


def _condense(selection: Selection, view: Sequence[str], report: range, errors: int) -> None:
    selection.keep_line(report.start)
    failing = [i for i in report if view[i].startswith(">")]
    if failing:
        selection.keep_line(failing[-1])
    shown = 0
    for i in report:
        if _ERROR_LINE.match(view[i]) and not _EXPLANATION.match(view[i]) and shown < errors:
            selection.keep_line(i)
            shown += 1
        elif _LOCATION.match(view[i]):
            selection.keep_line(i)
    cut = next((i for i in report if not selection.keep[i] and view[i].strip()), None)
    if cut is not None:
        selection.note(cut, "failure traceback")


def _drop_reports(selection: Selection, view: Sequence[str], body: range) -> None:
    for i in body:
        if _REPORT.match(view[i]):
            selection.note(i, "passing test")
