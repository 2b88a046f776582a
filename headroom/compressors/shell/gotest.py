"""`go test` output, as text (`-v` or not) and as `go test -json` events.

Both forms are read into one stream of `GoLine`s (package, test, text), so
one set of rules decides:

- failing tests keep all their output (log lines, testify reports) and
  their `--- FAIL` lines; passing tests lose everything, counted in the
  marker; skips keep their `--- SKIP` line;
- `=== RUN/PAUSE/CONT` progress lines go;
- package lines stay (`ok`, `FAIL pkg 0.02s`), except `[no test files]`;
- package-level output (a build error, "main exited early") stays when the
  package failed;
- a crash (`panic:`, `fatal error:`, a goroutine dump) keeps what follows it
  in that package, up to `CRASH_LINES`, whichever test it is attributed to.

In JSON mode the kept events are the original JSON lines, verbatim, so
anything that parses them still can. Events other than output (`run`,
`pass`, …) are dropped; a `fail` event stays when its test or package printed
no failure line of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from headroom.compressors.shell import generic
from headroom.compressors.shell.selection import Relevance, Selection

__all__ = ["CRASH_LINES", "claims_json", "claims_text", "select_json", "select_text"]

#: Lines of a crash dump kept per package (scaled by keep_factor).
CRASH_LINES = 100

_PROGRESS = re.compile(r"\s*=== (?:RUN|PAUSE|CONT|NAME)\s+(\S+)")
_RESULT = re.compile(r"\s*--- (PASS|FAIL|SKIP): (\S+)")
_PACKAGE = re.compile(r"(ok|FAIL|\?)\s+(\S+)\s+(?:[\d.]+m?s\b|\(cached\)|\[[^\]]*\])")
_CRASH = re.compile(r"(?:panic: |fatal error: |goroutine \d+ \[|SIGQUIT: |\[signal )")
_GOROUTINE = re.compile(r"goroutine \d+ \[")
_RESULTS = {"PASS": "pass", "FAIL": "fail", "SKIP": "skip"}


@dataclass(frozen=True, slots=True)
class GoLine:
    index: int
    package: str
    test: str
    text: str
    #: The test2json action ("output" for every line of plain text).
    action: str = "output"


@dataclass(slots=True)
class _Run:
    """What the whole stream says about results, and what the query points at."""

    results: dict[tuple[str, str], str]
    failure_printed: set[tuple[str, str]]
    wanted_tests: set[tuple[str, str]]
    wanted_lines: set[int]


# ---------------------------------------------------------------- reading


def claims_text(lines: Sequence[str]) -> bool:
    """Whether the text looks like `go test` output (or a Go crash)."""
    hits = 0
    for line in lines:
        if (
            _PROGRESS.match(line)
            or _RESULT.match(line)
            or _PACKAGE.match(line)
            or _CRASH.match(line)
        ):
            hits += 1
            if hits >= 2:
                return True
    return False


def claims_json(lines: Sequence[str]) -> bool:
    """Whether the text opens with `go test -json` (test2json) events."""
    opening = [line for line in lines[:20] if line.strip()][:5]
    return bool(opening) and all(_event(line) is not None for line in opening)


def _event(line: str) -> dict[str, object] | None:
    stripped = line.strip()
    if not stripped.startswith("{") or '"Action"' not in stripped:
        return None
    try:
        value = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("Action"), str) else None


def _read_json(lines: Sequence[str]) -> tuple[list[GoLine], dict[tuple[str, str], str]]:
    stream: list[GoLine] = []
    results: dict[tuple[str, str], str] = {}
    for i, line in enumerate(lines):
        event = _event(line)
        if event is None:
            if line.strip():
                stream.append(GoLine(i, "", "", line))
            continue
        package, test = str(event.get("Package", "")), str(event.get("Test", "") or "")
        action = str(event["Action"])
        if action in ("pass", "fail", "skip"):
            results[(package, test)] = action
        text = str(event.get("Output", "")).rstrip("\n") if action == "output" else ""
        stream.append(GoLine(i, package, test, text, action))
    return stream, results


def _read_text(lines: Sequence[str]) -> tuple[list[GoLine], dict[tuple[str, str], str]]:
    """Lines with their package (known from the package line that ends its block) and test."""
    package_of, results = _packages(lines)
    stream: list[GoLine] = []
    current = ""
    for i, line in enumerate(lines):
        package = package_of[i]
        if (progress := _PROGRESS.match(line)) is not None:
            current = progress.group(1)
        elif (result := _RESULT.match(line)) is not None:
            current = result.group(2)
            results[(package, current)] = _RESULTS[result.group(1)]
        elif _PACKAGE.match(line) is not None or line.strip() in ("PASS", "FAIL"):
            current = ""
        if line.strip():
            stream.append(GoLine(i, package, current, line))
    return stream, results


def _packages(lines: Sequence[str]) -> tuple[list[str], dict[tuple[str, str], str]]:
    package_of = [""] * len(lines)
    results: dict[tuple[str, str], str] = {}
    start = 0
    for i, line in enumerate(lines):
        match = _PACKAGE.match(line)
        if match is None:
            continue
        name = match.group(2)
        results[(name, "")] = {"ok": "pass", "?": "skip"}.get(match.group(1), "fail")
        package_of[start : i + 1] = [name] * (i + 1 - start)
        start = i + 1
    return package_of, results


# ---------------------------------------------------------------- selecting


def select_json(lines: Sequence[str], relevance: Relevance, keep_factor: float) -> Selection:
    stream, results = _read_json(lines)
    return _select(lines, stream, results, relevance, keep_factor)


def select_text(lines: Sequence[str], relevance: Relevance, keep_factor: float) -> Selection:
    stream, results = _read_text(lines)
    return _select(lines, stream, results, relevance, keep_factor)


def _select(
    lines: Sequence[str],
    stream: list[GoLine],
    results: dict[tuple[str, str], str],
    relevance: Relevance,
    keep_factor: float,
) -> Selection:
    selection = Selection(lines)
    run = _survey(stream, results, relevance)
    cap = max(10, round(CRASH_LINES * keep_factor))
    crashes: dict[str, _Crash] = {}
    for line in stream:
        if line.action != "output":
            _event_line(selection, line, run)
            continue
        crash = crashes.get(line.package)
        if crash is None and _CRASH.match(line.text):
            crash = crashes[line.package] = _Crash(cap)
        if crash is not None and not _PACKAGE.match(line.text):
            if crash.keeps(line.text):
                selection.keep_line(line.index)
            elif crash.frame_start:
                selection.note(line.index, "standard-library frame")
            continue
        wanted = line.index in run.wanted_lines or (line.package, line.test) in run.wanted_tests
        if wanted and not _PROGRESS.match(line.text):
            selection.keep_line(line.index)
        else:
            _output_line(selection, line, run)
    return selection


@dataclass(slots=True)
class _Crash:
    """A panic and the goroutine dump after it.

    The first goroutine (the one that panicked) is kept whole; the others
    keep their header and the frames of user code (whose import path starts
    with a domain, or package main), not the runtime's and testing's.
    """

    cap: int
    kept: int = 0
    goroutines: int = 0
    user_frame: bool = True
    frame_start: bool = False

    def keeps(self, text: str) -> bool:
        self.frame_start = False
        if not text.strip():
            return False
        if _GOROUTINE.match(text):
            self.goroutines += 1
            wanted = True
        elif self.goroutines <= 1:
            wanted = True
        elif text.startswith(("\t", " ")):
            wanted = self.user_frame  # the file:line of the frame above
        else:
            self.frame_start = True
            self.user_frame = wanted = _is_user_code(text)
        if wanted:
            self.kept += 1
        return wanted and self.kept <= self.cap


def _is_user_code(frame: str) -> bool:
    """Whether a stack frame's function is outside the standard library."""
    name = frame.removeprefix("created by ").split("(", 1)[0]
    if "/" in name:
        return "." in name.split("/", 1)[0]
    return name.split(".", 1)[0] == "main"


def _survey(
    stream: list[GoLine], results: dict[tuple[str, str], str], relevance: Relevance
) -> _Run:
    printed: set[tuple[str, str]] = set()
    for line in stream:
        result = _RESULT.match(line.text)
        if result is not None and result.group(1) == "FAIL":
            printed.add((line.package, result.group(2)))
        package = _PACKAGE.match(line.text)
        if package is not None and package.group(1) == "FAIL":
            printed.add((line.package, ""))
    wanted = relevance.select([line.text for line in stream])
    # A test named by the question keeps all its output, not only the lines
    # that mention it.
    tests = sorted({(line.package, line.test) for line in stream if line.test})
    named = relevance.select([test for _, test in tests])
    wanted_tests = {tests[i] for i in named}
    return _Run(results, printed, wanted_tests, {stream[i].index for i in wanted})


def _event_line(selection: Selection, line: GoLine, run: _Run) -> None:
    """A non-output test2json event: kept only when it is the only record of a failure."""
    key = (line.package, line.test)
    if line.action == "fail" and key not in run.failure_printed:
        selection.keep_line(line.index)
    elif line.action == "pass" and line.test:
        selection.note(line.index, "passing test")


def _output_line(selection: Selection, line: GoLine, run: _Run) -> None:
    text = line.text
    if _PROGRESS.match(text):
        return
    if (result := _RESULT.match(text)) is not None:
        if result.group(1) == "FAIL":
            selection.keep_line(line.index)
        elif result.group(1) == "SKIP":
            selection.note(line.index, "skipped test")
        else:
            _note_pass(selection, line)
        return
    if (package := _PACKAGE.match(text)) is not None:
        if package.group(1) == "?":
            selection.note(line.index, "package without tests")
        else:
            selection.keep_line(line.index)
        return
    if text.strip() in ("PASS", "FAIL"):  # the package line says it again
        return
    if generic.PASS.match(text) and not text[:1].isspace():
        # A runner's own pass line (gotestsum's "PASS pkg.TestX (0.00s)"); a
        # test's log lines are indented and stay with their test.
        selection.note(line.index, "passing test")
        return
    if run.results.get((line.package, line.test)) not in ("pass", "skip"):
        selection.keep_line(line.index)


def _note_pass(selection: Selection, line: GoLine) -> None:
    """Count a passing test once: by its `pass` event in JSON, by its `--- PASS` line in text."""
    if selection.lines[line.index].lstrip().startswith("{"):
        return
    selection.note(line.index, "passing test")
