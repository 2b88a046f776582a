"""Turning raw terminal output into the lines a person would have seen.

Test runners with live progress (gotestsum's dots, cargo's bars, jest's
watch view) redraw the same few lines hundreds of times: they move the
cursor up (`ESC[nA`), erase the line (`ESC[K`) and write it again. Read as
text, that is every intermediate frame one after another. `prepare` replays
such output on a minimal screen model, so only the final frame is left, and
reports how many lines the redraws removed (the caller announces them in a
marker: they were intermediate states, not lost results).

Output without cursor movement takes the cheap path: the lossless steps
`strip_ansi` and `resolve_carriage_returns`, which keep the line count, so
line numbers still point into the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.compressors.lossless import resolve_carriage_returns, strip_ansi

__all__ = ["Screen", "prepare"]

#: A cursor move up or to a previous line: the sign of a redrawn display.
_CURSOR_UP = re.compile(r"\x1b\[\d*[AF]")
#: What the screen model acts on: newlines, carriage returns, CSI sequences.
_TOKEN = re.compile(r"\n|\r|\x1b\[([0-?]*)[ -/]*([@-~])")


@dataclass(frozen=True, slots=True)
class Screen:
    #: The visible lines, escape codes removed.
    lines: list[str]
    #: Lines of the original that redraws overwrote (0: line numbers are the original's).
    redrawn: int


def prepare(text: str) -> Screen:
    """The lines of `text` as a terminal would show them at the end."""
    if _CURSOR_UP.search(text) is None:
        return Screen(resolve_carriage_returns(strip_ansi(text)).split("\n"), 0)
    lines = _Terminal().play(text)
    lines = strip_ansi("\n".join(lines)).split("\n")
    return Screen(lines, max(0, text.count("\n") + 1 - len(lines)))


class _Terminal:
    """Rows of text and a cursor; just enough of a VT100 for progress displays."""

    def __init__(self) -> None:
        self.rows: list[str] = [""]
        self.row = 0
        self.col = 0

    def play(self, text: str) -> list[str]:
        pos = 0
        for match in _TOKEN.finditer(text):
            if match.start() > pos:
                self._write(text[pos : match.start()])
            pos = match.end()
            token = match.group(0)
            if token == "\n":
                self._move_to(self.row + 1)
            elif token == "\r":
                self.col = 0
            else:
                self._csi(match.group(1), match.group(2))
        if pos < len(text):
            self._write(text[pos:])
        return self.rows

    def _move_to(self, row: int) -> None:
        self.row, self.col = max(0, row), 0
        while len(self.rows) <= self.row:
            self.rows.append("")

    def _write(self, chunk: str) -> None:
        line = self.rows[self.row]
        if len(line) <= self.col:  # the common case: writing at the end of the line
            self.rows[self.row] = line + " " * (self.col - len(line)) + chunk
        else:
            self.rows[self.row] = line[: self.col] + chunk + line[self.col + len(chunk) :]
        self.col += len(chunk)

    def _csi(self, params: str, final: str) -> None:
        n = int(params) if params.isdigit() else 0
        if final in "AF":
            col = self.col if final == "A" else 0
            self._move_to(self.row - max(n, 1))
            self.col = col
        elif final in "BE":
            col = self.col if final == "B" else 0
            self._move_to(self.row + max(n, 1))
            self.col = col
        elif final == "G":
            self.col = max(n, 1) - 1
        elif final == "K":
            self._erase_line(n)
        elif final == "J" and n == 0:
            self.rows[self.row] = self.rows[self.row][: self.col]
            del self.rows[self.row + 1 :]

    def _erase_line(self, mode: int) -> None:
        line = self.rows[self.row]
        if mode == 0:
            self.rows[self.row] = line[: self.col]
        elif mode == 1:
            self.rows[self.row] = " " * self.col + line[self.col :]
        else:
            self.rows[self.row] = ""
