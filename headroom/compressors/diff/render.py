"""Writing the compressed diff: what is shown, and a marker for every cut.

Prose (mail headers, commit messages, diffstats) is shown as it is. Of a file
header, the `diff` line and every line that says something the `diff --git`
line does not (modes, new/deleted file, similarity, binary) are shown; `index`
lines and the `---`/`+++`/`rename from`/`rename to` lines that only repeat the
`diff --git` paths are cut. A rename-only or mode-only change is thus shown as
two or three short lines.

A chosen hunk is shown with its context trimmed (`headroom.compressors.diff.
trim`). A hunk left out keeps its `@@` header, followed by its `[+N -M]` counts;
a run of them is followed by one marker. A lockfile or generated file
collapses into one marker with the file's +/- counts. Trimmed context and
header lines are announced by one marker at the top of the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from headroom.ccr import marker
from headroom.compressors.diff.patch import FileDiff, Hunk, Segment, TextRun

__all__ = ["Layout", "Trimmed", "file_header", "render"]


@dataclass(frozen=True, slots=True)
class Trimmed:
    """A shown hunk's body (split headers included) and how many lines were cut."""

    lines: tuple[str, ...]
    cut: int


@dataclass(frozen=True, slots=True)
class Layout:
    """What the planner decided, for the renderer to write out."""

    ccr_id: str
    eol: str
    context_lines: int
    #: (segment index, hunk index) -> trimmed body, for every hunk shown in full.
    trimmed: dict[tuple[int, int], Trimmed]
    #: Segment index -> "lockfile" / "minified" / "generated".
    generated: dict[int, str]


@dataclass(slots=True)
class _Omitted:
    """A run of left-out hunks waiting for its marker."""

    hunks: int = 0
    added: int = 0
    removed: int = 0


@dataclass(slots=True)
class _Writer:
    layout: Layout
    out: list[str] = field(default_factory=list)
    context_cut: int = 0
    header_cut: int = 0
    markers: int = 0
    run: _Omitted = field(default_factory=_Omitted)

    def marker(self, omitted: int, unit: str, detail: str, total: int | None = None) -> None:
        text = marker(
            ccr_id=self.layout.ccr_id, omitted=omitted, unit=unit, total=total, detail=detail
        )
        self.out.append(text + self.layout.eol)
        self.markers += 1

    def close_run(self) -> None:
        run = self.run
        if run.hunks:
            detail = f"bodies of the @@ lines above, +{run.added} -{run.removed} lines"
            self.marker(run.hunks, "hunks", detail)
            self.run = _Omitted()


def render(segments: list[Segment], layout: Layout) -> tuple[list[str], bool]:
    """The output lines and whether anything was cut."""
    writer = _Writer(layout)
    for index, segment in enumerate(segments):
        if isinstance(segment, TextRun):
            writer.close_run()
            writer.out.extend(segment.lines)
        elif index in layout.generated:
            writer.close_run()
            _generated_file(writer, index, segment, layout.generated[index])
        else:
            _file(writer, index, segment)
    writer.close_run()
    cut = writer.context_cut + writer.header_cut
    if cut:
        top = marker(ccr_id=layout.ccr_id, omitted=cut, unit="lines", detail=_top_detail(writer))
        writer.out.insert(0, top + layout.eol)
    return writer.out, bool(writer.markers or cut)


def _top_detail(writer: _Writer) -> str:
    parts = []
    if writer.context_cut:
        n = writer.layout.context_lines
        lines = "line" if n == 1 else "lines"
        parts.append(f"context over {n} {lines} from a change, like git diff -U{n}")
    if writer.header_cut:
        parts.append("index lines, and ---/+++/rename lines that repeat the diff --git paths")
    return "; ".join(parts)


def _file(writer: _Writer, index: int, segment: FileDiff) -> None:
    header, dropped = file_header(segment)
    writer.header_cut += dropped
    writer.out.extend(header)
    _binary(writer, segment)
    for h, hunk in enumerate(segment.hunks):
        trimmed = writer.layout.trimmed.get((index, h))
        if trimmed is None:
            writer.out.append(_summary_line(hunk))
            writer.run.hunks += 1
            writer.run.added += hunk.added
            writer.run.removed += hunk.removed
            continue
        writer.close_run()
        writer.out.append(hunk.header)
        writer.out.extend(trimmed.lines)
        writer.context_cut += trimmed.cut


def _generated_file(writer: _Writer, index: int, segment: FileDiff, reason: str) -> None:
    header, dropped = file_header(segment)
    writer.header_cut += dropped
    writer.out.extend(header)
    _binary(writer, segment)
    left = _Omitted()
    for h, hunk in enumerate(segment.hunks):
        trimmed = writer.layout.trimmed.get((index, h))
        if trimmed is None:
            left.hunks += 1
            left.added += hunk.added
            left.removed += hunk.removed
            continue
        writer.out.append(hunk.header)
        writer.out.extend(trimmed.lines)
        writer.context_cut += trimmed.cut
    if left.hunks:
        detail = f"{reason}, +{left.added} -{left.removed} lines"
        writer.marker(left.hunks, "hunks", detail, total=len(segment.hunks))


def _binary(writer: _Writer, segment: FileDiff) -> None:
    if segment.binary:
        writer.out.append(segment.binary[0])
        writer.marker(len(segment.binary) - 1, "lines", "binary patch data")


def _summary_line(hunk: Hunk) -> str:
    """A left-out hunk's header with its +/- counts: `@@ -1,3 +1,4 @@ f [+1 -0]`."""
    header = hunk.header
    eol = "\r" if header.endswith("\r") else ""
    return f"{header[: len(header) - len(eol)]} [+{hunk.added} -{hunk.removed}]{eol}"


def file_header(segment: FileDiff) -> tuple[list[str], int]:
    """The header lines worth showing and how many were cut."""
    if not segment.header:
        return [], 0
    first = _bare(segment.header[0])
    if not first.startswith("diff --git "):
        return list(segment.header), 0
    whole_file = any(h.startswith(("new file mode", "deleted file mode")) for h in segment.header)
    kept = [segment.header[0]]
    for line in segment.header[1:]:
        if not _repeats_git_line(_bare(line), first, whole_file):
            kept.append(line)
    return kept, len(segment.header) - len(kept)


def _repeats_git_line(line: str, git_line: str, whole_file: bool) -> bool:
    """Whether a header line only says what the `diff --git` line (or mode line) says."""
    if line.startswith("index "):
        return True
    if line.startswith(("--- ", "+++ ")):
        value = line[4:].split("\t", 1)[0]
        return whole_file if value == "/dev/null" else value in git_line
    if line.startswith(("rename from ", "copy from ")):
        return f" a/{line.split(' ', 2)[2]} b/" in git_line
    if line.startswith(("rename to ", "copy to ")):
        return git_line.endswith(f" b/{line.split(' ', 2)[2]}")
    return False


def _bare(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line
