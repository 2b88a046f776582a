"""Compressing one text: policy, route, learned budget, compress (fail-open),
and keep only real savings.

This is the step the library's `compress_text`, the conversation pipeline and
the bench all share, so a number measured by the bench is what the proxy does.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, replace

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
    KEPT = "kept"
    SKIPPED = "skipped"


class Reason(enum.StrEnum):
    SAVED = "saved"
    BELOW_MIN_SIZE = "below minimum size"
    POLICY = "policy"
    NO_COMPRESSOR = "no compressor applies"
    SAVING_TOO_SMALL = "saving too small"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one text."""

    original: str
    text: str
    kind: str
    compressor: str | None
    tokens_before: int
    tokens_after: int
    ccr_id: str | None
    decision: Decision
    reason: Reason
    signature: str | None = None

    @property
    def changed(self) -> bool:
        return self.decision is Decision.COMPRESSED


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
        before = self.counter.count(text)
        route = self.router.route(text, ctx)
        kept = Outcome(
            text, text, route.kind, None, before, before, None, Decision.KEPT, Reason.SAVED
        )
        if policy is Policy.NEVER:
            return replace(kept, decision=Decision.SKIPPED, reason=Reason.POLICY)
        if before < self.settings.min_tokens:
            return replace(kept, decision=Decision.SKIPPED, reason=Reason.BELOW_MIN_SIZE)
        shape = self._shape(text, route) if self.learner is not None else None
        sig = signature(tool, route.kind, shape)
        learned, first_time = self._learned(text, tool, sig)
        lossless_only = policy is Policy.LOSSLESS_ONLY or learned.lossless_only
        ctx = replace(ctx, kind=route.kind, keep_factor=learned.keep_factor)
        result = self._first_result(text, ctx, route, lossless_only=lossless_only)
        if result is None:
            return replace(kept, reason=Reason.NO_COMPRESSOR)
        after = self.counter.count(result.text)
        if before - after < max(1, before * self.settings.min_saving):
            return replace(kept, compressor=result.compressor, reason=Reason.SAVING_TOO_SMALL)
        if first_time and result.ccr_id and self.learner is not None:
            self.learner.compressed(sig)
        return Outcome(
            original=text,
            text=result.text,
            kind=route.kind,
            compressor=result.compressor,
            tokens_before=before,
            tokens_after=after,
            ccr_id=result.ccr_id,
            decision=Decision.COMPRESSED,
            reason=Reason.SAVED,
            signature=sig,
        )

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

    def _learned(self, text: str, tool: str | None, sig: str) -> tuple[Learned, bool]:
        if self.learner is None:
            return Learned(), False
        fetch = functools.partial(self.learner.for_block, block_id(text, tool), sig)
        return guarded(
            "learning", fetch, (Learned(), False), raise_errors=self.settings.raise_errors
        )

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
