"""What `headroom stats` reports from the ledger: a window of recent requests, grouped.

The proxy records one `LedgerEntry` per model request in the store (see
`headroom.proxy.ledger`); this module reads the entries recorded within a
window (`--since 7d`) and sums them by one key:

- **model** and **session** group whole requests: requests, estimated tokens
  before and after compression, and dollars spent, without Headroom and saved
  (from the provider's usage receipts, as the ledger prices them).
- **compressor** and **tool** group blocks, from each request's decision log:
  a request counts once in every group it has a block in, and its dollars
  saved are shared among its groups by the tokens each one saved. What a
  single block cost is not known, so those groups carry no spent/without
  dollars.

The totals row always sums whole requests. The cache hit rate is cache-read
tokens over all prompt tokens in the window; the holdout measurement
(`headroom.accounting.measured_savings`) is the same one `/stats` gives, over
the window. The ledger keeps its most recent entries only (a ring, one week
by default), so a long window may be cut short: `truncated` says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from headroom.accounting import Measured, measured_savings
from headroom.providers.usage import Usage
from headroom.proxy.ledger import LedgerEntry

__all__ = ["GROUPS", "Report", "Row", "build_report", "parse_since"]

GROUPS = ("compressor", "tool", "model", "session")
#: The key of blocks and requests that have none (no compressor, no session).
NONE = "(none)"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_since(text: str) -> float:
    """Seconds in a window like `30m`, `12h`, `7d` (also `s` and `w`)."""
    found = _SINCE.match(text)
    if found is None or float(found.group(1)) <= 0:
        raise ValueError(f"expected a window like 30m, 12h or 7d, got {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


@dataclass(frozen=True, slots=True)
class Row:
    """One group's sums (or the totals)."""

    key: str
    requests: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    #: None when no request in the group had a usage receipt, or for block groups.
    dollars: float | None = None
    dollars_without: float | None = None
    dollars_saved: float | None = None

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens_before - self.tokens_after)

    @property
    def saved_pct(self) -> float:
        return 100 * self.tokens_saved / self.tokens_before if self.tokens_before else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "requests": self.requests,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
            "saved_pct": round(self.saved_pct, 2),
            "dollars": _round(self.dollars),
            "dollars_without": _round(self.dollars_without),
            "dollars_saved": _round(self.dollars_saved),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The window's groups, totals, cache and holdout measurement."""

    since_s: float
    by: str
    rows: tuple[Row, ...]
    totals: Row
    usage: Usage
    measured: Measured
    #: When the oldest entry read was recorded (None: no entries).
    oldest: float | None = None
    #: The ledger's ring was full and its oldest entry is inside the window.
    truncated: bool = False

    @property
    def hit_rate(self) -> float:
        prompt = self.usage.prompt_tokens
        return self.usage.cache_read_tokens / prompt if prompt else 0.0

    @property
    def holdout_present(self) -> bool:
        return self.measured.holdout_samples > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "since_s": self.since_s,
            "by": self.by,
            "rows": [row.as_dict() for row in self.rows],
            "totals": self.totals.as_dict(),
            "cache": {
                "read_tokens": self.usage.cache_read_tokens,
                "write_tokens": self.usage.cache_write_tokens,
                "prompt_tokens": self.usage.prompt_tokens,
                "hit_rate": round(self.hit_rate, 4),
            },
            "measured": self.measured.as_dict(),
            "dollars_label": "estimated",
            "truncated": self.truncated,
        }


def build_report(
    entries: Sequence[LedgerEntry], *, since_s: float, by: str, now: float, ring: int
) -> Report:
    """The report over the `entries` (newest first, as `Ledger.recent` gives them).

    `ring` is how many entries the ledger keeps, to tell a cut-short window.
    """
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPS)}")
    window = [e for e in entries if e.time >= now - since_s]
    truncated = len(entries) >= ring and bool(window) and len(window) == len(entries)
    usage = sum((e.usage for e in window if e.usage is not None), Usage())
    measured = measured_savings(
        (e.arm, e.dollars, e.body_tokens) for e in window if e.dollars is not None
    )
    grouped = _by_blocks(window, by) if by in {"compressor", "tool"} else _by_requests(window, by)
    rows = sorted(grouped, key=lambda r: (-r.tokens_saved, -r.requests, r.key))
    return Report(
        since_s=since_s,
        by=by,
        rows=tuple(rows),
        totals=_sum_requests("total", window),
        usage=usage,
        measured=measured,
        oldest=min((e.time for e in window), default=None),
        truncated=truncated,
    )


def _by_requests(entries: Iterable[LedgerEntry], by: str) -> list[Row]:
    groups: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        key = (entry.model if by == "model" else entry.session) or NONE
        groups.setdefault(key, []).append(entry)
    return [_sum_requests(key, members) for key, members in groups.items()]


def _sum_requests(key: str, entries: Sequence[LedgerEntry]) -> Row:
    priced = [e for e in entries if e.dollars is not None and e.dollars_without is not None]
    spent = sum(e.dollars or 0.0 for e in priced)
    without = sum(e.dollars_without or 0.0 for e in priced)
    return Row(
        key=key,
        requests=len(entries),
        tokens_before=sum(e.tokens_before for e in entries),
        tokens_after=sum(e.tokens_after for e in entries),
        dollars=spent if priced else None,
        dollars_without=without if priced else None,
        dollars_saved=without - spent if priced else None,
    )


@dataclass(slots=True)
class _Tally:
    requests: set[int] = field(default_factory=set)
    before: int = 0
    after: int = 0
    saved_dollars: float = 0.0
    priced: bool = False


def _by_blocks(entries: Iterable[LedgerEntry], by: str) -> list[Row]:
    tallies: dict[str, _Tally] = {}
    for number, entry in enumerate(entries):
        shares = _dollar_shares(entry, by)
        for decision in entry.decisions:
            key = str(decision.get(by) or NONE)
            tally = tallies.setdefault(key, _Tally())
            tally.requests.add(number)
            tally.before += int(decision.get("tokens_before", 0))
            tally.after += int(decision.get("tokens_after", 0))
        for key, dollars in shares.items():
            tallies[key].saved_dollars += dollars
            tallies[key].priced = True
    return [
        Row(
            key=key,
            requests=len(t.requests),
            tokens_before=t.before,
            tokens_after=t.after,
            dollars_saved=t.saved_dollars if t.priced else None,
        )
        for key, t in tallies.items()
    ]


def _dollar_shares(entry: LedgerEntry, by: str) -> dict[str, float]:
    """The request's dollars saved, shared among its groups by tokens saved."""
    if entry.dollars is None or entry.dollars_without is None:
        return {}
    saved_by: dict[str, int] = {}
    for decision in entry.decisions:
        saved = int(decision.get("tokens_before", 0)) - int(decision.get("tokens_after", 0))
        if saved > 0:
            key = str(decision.get(by) or NONE)
            saved_by[key] = saved_by.get(key, 0) + saved
    total = sum(saved_by.values())
    dollars = entry.dollars_without - entry.dollars
    return {key: dollars * saved / total for key, saved in saved_by.items()} if total else {}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
