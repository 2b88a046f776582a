"""The cache planner: change an already-sent block only when it pays in dollars.

New blocks (past the history the previous request sent) are always eligible:
nothing upstream has cached them yet. A block an earlier turn sent as it was
(the proxy started mid-session, or that turn ran out of time) is different:
while the provider's cache is warm, shrinking it now turns every token from
that block to the end of the cached history from a cache read (0.1× the input
price) into a cache write (1.25×, or 2× for a 1-hour TTL), once. It pays back
only through the cheaper reads of the turns still to come:

    cost now      = write × (after + shrunk) − read × (after + original)
    saving later  = read × (original − shrunk) × turns_left

The price per token cancels out, so sizes are compared in characters. Once one
block is changed the cache past it is lost anyway, and blocks after it cost
nothing extra to change. When the cache has gone cold (the time since the last
request is past the TTL), everything is written again anyway and every block
is eligible. How many turns remain is unknown; the planner expects as many as
the session has had so far (at least one), capped.
"""

from __future__ import annotations

from dataclasses import dataclass

from headroom.cache.prices import (
    READ_MULTIPLIER,
    TTL_SECONDS,
    WRITE_1H_MULTIPLIER,
    WRITE_5M_MULTIPLIER,
)
from headroom.cache.session import SessionState

WRITE_MULTIPLIERS = {"5m": WRITE_5M_MULTIPLIER, "1h": WRITE_1H_MULTIPLIER}
#: The most future turns the planner counts on.
MAX_TURNS_LEFT = 50


@dataclass(frozen=True, slots=True)
class Verdict:
    change: bool
    why: str


@dataclass(slots=True)
class CachePlan:
    """The planner for one request of one session."""

    state: SessionState
    now: float
    ttl: str = "5m"
    #: Set once a block in the sent history was changed: the cache past it is gone.
    busted: bool = False

    @property
    def warm(self) -> bool:
        last = self.state.last_seen
        return last is not None and 0 <= self.now - last <= TTL_SECONDS.get(self.ttl, 300.0)

    @property
    def turns_left(self) -> int:
        return max(1, min(MAX_TURNS_LEFT, self.state.turns))

    def already_sent(self, message: int) -> bool:
        return message < self.state.messages_sent

    def verdict(self, *, original: int, shrunk: int, after: int) -> Verdict:
        """Whether to change a block the previous request sent, sizes in characters.

        `after` is the size of the sent history that follows the block.
        """
        if not self.warm:
            return Verdict(True, "cache cold: everything is written again anyway")
        if self.busted:
            return Verdict(True, "cache already broken earlier in this request")
        write = WRITE_MULTIPLIERS.get(self.ttl, 1.25)
        cost = write * (after + shrunk) - READ_MULTIPLIER * (after + original)
        saving = READ_MULTIPLIER * (original - shrunk) * self.turns_left
        if saving > cost:
            self.busted = True
            return Verdict(
                True, f"pays: saves {saving:.0f} > costs {cost:.0f} (char-units, warm cache)"
            )
        return Verdict(
            False, f"keeps cache: would cost {cost:.0f} > save {saving:.0f} (char-units)"
        )
