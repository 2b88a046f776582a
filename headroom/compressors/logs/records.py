"""Records: a log line and the lines that continue it (stack traces, wrapped text).

A Java stack trace or a Python traceback belongs to the line that logged it,
so it is kept or cut with that line, whole. A line continues the record above
it when it is indented; in a log whose lines mostly open with a timestamp or
number (their template starts with `<*>`), when it does not; in other logs,
when it reads like a trace line (`Caused by:`, `Traceback (most recent call
last):`, `ValueError: ...`). A record is at most `MAX_RECORD_LINES` long, so
text that is not a log cannot become one giant record. Blank lines are
records of their own that nothing selects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.compressors.logs.templates import Templates

__all__ = ["MAX_RECORD_LINES", "Records", "split_records"]

MAX_RECORD_LINES = 40
#: A log is "timestamp-led" when at least this share of its lines open with a variable.
_LED_SHARE = 0.6
_LED = re.compile(r"[\[(]?<\*>")
#: Lines that continue a trace even when they are not indented.
_TRACE_LINE = re.compile(
    r"Caused by:|\.\.\. \d+ more|During handling of the above|Traceback \(most recent"
    r"|[\w.$]*(?:Error|Exception)\b"
)
_INDENT = frozenset(" \t")


@dataclass(frozen=True, slots=True)
class Records:
    """Records as line ranges: record `r` is lines `starts[r]` to `starts[r + 1] - 1`."""

    starts: list[int]
    line_count: int

    def __len__(self) -> int:
        return len(self.starts)

    def span(self, record: int) -> range:
        end = self.starts[record + 1] if record + 1 < len(self.starts) else self.line_count
        return range(self.starts[record], end)


def split_records(lines: list[str], templates: Templates) -> Records:
    """Group `lines` into records (see the module docstring)."""
    led_templates = [_LED.match(key) is not None for key in templates.keys]
    led = [led_templates[t] for t in templates.ids]
    timestamp_led = sum(led) >= _LED_SHARE * max(1, len(lines))
    if timestamp_led:
        follows = [line[:1] in _INDENT or not led[i] for i, line in enumerate(lines)]
    else:
        follows = [line[:1] in _INDENT or _TRACE_LINE.match(line) is not None for line in lines]
    starts: list[int] = []
    previous_blank = True
    for i, line in enumerate(lines):
        blank = not line.strip()
        if blank or previous_blank or not follows[i] or i - starts[-1] >= MAX_RECORD_LINES:
            starts.append(i)
        previous_blank = blank
    return Records(starts=starts, line_count=len(lines))
