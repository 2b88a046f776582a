"""Compressing one text: policy, route, learned budget, compress (fail-open),
and keep only real savings.

This is the step the library's `compress_text`, the conversation pipeline and
the bench all share, so a number measured by the bench is what the proxy does.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field, replace

from headroom.compressors.base import Compressor
from headroom.config import Settings
from headroom.guard import guarded
from headroom.learning import Learned, Learner, block_id, signature
from headroom.pipeline.router import Route, Router
from headroom.policy import Policy, policy_for
from headroom.tokens import TokenCounter
from headroom.types import CompressContext, Compressed


class Decision(enum.StrEnum):
    COMPRESSED = "compressed"
    #: The compressed form first chosen for this block, reused byte for byte.
    FROZEN = "frozen"
    KEPT = "kept"
    SKIPPED = "skipped"


class Reason(enum.StrEnum):
    SAVED = "saved"
    BELOW_MIN_SIZE = "below minimum size"
    POLICY = "policy"
    NO_COMPRESSOR = "no compressor applies"
    SAVING_TOO_SMALL = "saving too small"
    #: An earlier turn sent the block as it is, and changing it would cost more
    #: in cache writes than it saves in cache reads.
    CACHE_PLANNER = "cache planner"
    #: Compression ran past its time budget; the block went as it was.
    TIME_BUDGET = "time budget"
    ERROR = "error"


#: Below this many characters per minimum token, a text is counted exactly
#: before deciding whether it is too small to compress.
EXACT_SIZE_CHECK_CHARS_PER_TOKEN = 8


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one text.

    Token counts are computed when first asked for, not while deciding: the
    decisions use character sizes, so counting a large original never adds to
    the latency of a request (a proxy records the counts after forwarding).
    """

    original: str
    text: str
    kind: str
    compressor: str | None
    ccr_id: str | None
    decision: Decision
    reason: Reason
    counter: TokenCounter = field(repr=False, compare=False)
    signature: str | None = None
    _counts: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return self.decision is Decision.COMPRESSED or self.decision is Decision.FROZEN

    @property
    def tokens_before(self) -> int:
        return self._count("before", self.original)

    @property
    def tokens_after(self) -> int:
        if not self.changed:
            return self.tokens_before
        return self._count("after", self.text)

    def _count(self, key: str, text: str) -> int:
        if key not in self._counts:
            self._counts[key] = self.counter.count(text)
        return self._counts[key]


class Engine:
    """Routes and compresses texts under one set of settings."""

    def __init__(
        self,
        settings: Settings,
        router: Router,
        counter: TokenCounter,
        learner: Learner | None = None,
    ) -> None:
        self.settings = settings
        self.router = router
        self.counter = counter
        self.learner = learner if settings.learning else None

    def compress(self, text: str, ctx: CompressContext) -> Outcome:
        tool = ctx.origin.tool_name
        policy = policy_for(tool, self.settings.tool_policy)
        route = self.router.route(text, ctx)
        kept = Outcome(
            text, text, route.kind, None, None, Decision.KEPT, Reason.SAVED, self.counter
        )
        if policy is Policy.NEVER:
            return replace(kept, decision=Decision.SKIPPED, reason=Reason.POLICY)
        if self._too_small(text, kept):
            return replace(kept, decision=Decision.SKIPPED, reason=Reason.BELOW_MIN_SIZE)
        learned, first_time, sig = self._learned(text, tool, route)
        lossless_only = policy is Policy.LOSSLESS_ONLY or learned.lossless_only
        ctx = replace(ctx, kind=route.kind, keep_factor=learned.keep_factor)
        result = self._first_result(text, ctx, route, lossless_only=lossless_only)
        if result is None:
            return replace(kept, reason=Reason.NO_COMPRESSOR)
        if len(text) - len(result.text) < max(1, len(text) * self.settings.min_saving):
            return replace(kept, compressor=result.compressor, reason=Reason.SAVING_TOO_SMALL)
        if first_time and result.ccr_id and self.learner is not None:
            self.learner.compressed(sig)
        return Outcome(
            original=text,
            text=result.text,
            kind=route.kind,
            compressor=result.compressor,
            ccr_id=result.ccr_id,
            decision=Decision.COMPRESSED,
            reason=Reason.SAVED,
            counter=self.counter,
            signature=sig,
            _counts=kept._counts,
        )

    def _too_small(self, text: str, outcome: Outcome) -> bool:
        """Under `min_tokens`? Large texts are over it without counting."""
        if len(text) >= EXACT_SIZE_CHECK_CHARS_PER_TOKEN * self.settings.min_tokens:
            return False
        return outcome.tokens_before < self.settings.min_tokens

    def _shape(self, text: str, route: Route) -> str | None:
        for compressor in route.compressors:
            shape_of = getattr(compressor, "signature", None)
            if callable(shape_of):
                shape: str | None = guarded(
                    f"signature:{compressor.name}",
                    functools.partial(shape_of, text),
                    None,
                    raise_errors=self.settings.raise_errors,
                )
                return shape
        return None

    def _learned(self, text: str, tool: str | None, route: Route) -> tuple[Learned, bool, str]:
        """The learned budget, first sighting, and signature (shape hashed only when new)."""

        def signature_of() -> str:
            return signature(tool, route.kind, self._shape(text, route))

        if self.learner is None:
            return Learned(), False, signature(tool, route.kind, None)
        fetch = functools.partial(self.learner.for_block, block_id(text, tool), signature_of)
        fallback = (Learned(), False, signature(tool, route.kind, None))
        return guarded("learning", fetch, fallback, raise_errors=self.settings.raise_errors)

    def _first_result(
        self, text: str, ctx: CompressContext, route: Route, *, lossless_only: bool
    ) -> Compressed | None:
        for compressor in route.compressors:
            result = _run(compressor, text, ctx, raise_errors=self.settings.raise_errors)
            if result is None or result.text == text:
                continue
            if lossless_only and result.ccr_id is not None:
                continue
            return result
        return None


def _run(
    compressor: Compressor, text: str, ctx: CompressContext, *, raise_errors: bool
) -> Compressed | None:
    call = functools.partial(compressor.compress, text, ctx)
    return guarded(f"compressor:{compressor.name}", call, None, raise_errors=raise_errors)
