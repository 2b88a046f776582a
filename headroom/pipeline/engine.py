"""Compressing one text: route, compress (fail-open), keep only real savings.

This is the step the library's `compress_text`, the conversation pipeline and
the bench all share, so a number measured by the bench is what the proxy does.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, replace

from headroom.config import Settings
from headroom.guard import guarded
from headroom.pipeline.router import Route, Router
from headroom.tokens import TokenCounter
from headroom.types import CompressContext, Compressed


class Decision(enum.StrEnum):
    COMPRESSED = "compressed"
    KEPT = "kept"
    SKIPPED = "skipped"


class Reason(enum.StrEnum):
    SAVED = "saved"
    BELOW_MIN_SIZE = "below minimum size"
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

    @property
    def changed(self) -> bool:
        return self.decision is Decision.COMPRESSED


class Engine:
    """Routes and compresses texts under one set of settings."""

    def __init__(self, settings: Settings, router: Router, counter: TokenCounter) -> None:
        self.settings = settings
        self.router = router
        self.counter = counter

    def compress(self, text: str, ctx: CompressContext) -> Outcome:
        before = self.counter.count(text)
        route = self.router.route(text, ctx)
        kept = Outcome(
            text, text, route.kind, None, before, before, None, Decision.KEPT, Reason.SAVED
        )
        if before < self.settings.min_tokens:
            return replace(kept, decision=Decision.SKIPPED, reason=Reason.BELOW_MIN_SIZE)
        ctx = replace(ctx, kind=route.kind)
        result = self._first_result(text, ctx, route)
        if result is None:
            return replace(kept, reason=Reason.NO_COMPRESSOR)
        after = self.counter.count(result.text)
        if before - after < max(1, before * self.settings.min_saving):
            return replace(kept, compressor=result.compressor, reason=Reason.SAVING_TOO_SMALL)
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
        )

    def _first_result(self, text: str, ctx: CompressContext, route: Route) -> Compressed | None:
        for compressor in route.compressors:
            result = guarded(
                f"compressor:{compressor.name}",
                functools.partial(compressor.compress, text, ctx),
                None,
                raise_errors=self.settings.raise_errors,
            )
            if result is not None and result.text != text:
                return result
        return None
