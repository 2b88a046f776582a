"""The pipeline: ordered transforms over a conversation, then the CCR step.

`Pipeline.run` applies each transform in order (each pure and synchronous),
then stores the originals of every lossy cut. If an original cannot be stored,
the cut is undone for that block, so a marker never points at nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from headroom.cache.frozen import Frozen
from headroom.ccr import CCR
from headroom.guard import guarded
from headroom.pipeline.engine import Decision, Engine, Outcome, Reason
from headroom.pipeline.router import Route, Router
from headroom.pipeline.transform import BlockRecord, CompressToolResults, Run, Transform
from headroom.types import Conversation

__all__ = [
    "BlockRecord",
    "CompressToolResults",
    "Decision",
    "Engine",
    "Outcome",
    "Pipeline",
    "PipelineResult",
    "Reason",
    "Route",
    "Router",
    "Run",
    "Transform",
]


@dataclass(frozen=True, slots=True)
class PipelineResult:
    conversation: Conversation
    records: tuple[BlockRecord, ...]
    #: First-seen decisions to remember once the request is sent (see
    #: `headroom.cache.frozen.FrozenHistory.commit`).
    frozen: tuple[tuple[str, Frozen], ...] = ()

    @property
    def changed(self) -> tuple[BlockRecord, ...]:
        return tuple(r for r in self.records if r.outcome.changed)

    @property
    def tokens_saved(self) -> int:
        return sum(r.tokens_before - r.tokens_after for r in self.changed)


class Pipeline:
    def __init__(
        self, transforms: Sequence[Transform], ccr: CCR, *, raise_errors: bool = False
    ) -> None:
        self.transforms = tuple(transforms)
        self.ccr = ccr
        self.raise_errors = raise_errors

    def run(self, conversation: Conversation) -> PipelineResult:
        run = Run()
        for transform in self.transforms:
            step_run = Run()
            step = functools.partial(transform.apply, conversation, step_run)
            result = guarded(
                f"transform:{transform.name}", step, None, raise_errors=self.raise_errors
            )
            if result is not None:
                conversation = result
                run.records.extend(step_run.records)
                run.originals.update(step_run.originals)
                run.frozen.extend(step_run.frozen)
        conversation = self._store_originals(conversation, run)
        frozen = tuple(run.frozen)
        if any(r.reason is Reason.ERROR for r in run.records):
            # A cut was undone (its original could not be stored): pin no cut this time.
            frozen = tuple((key, f) for key, f in frozen if f.text is None)
        return PipelineResult(conversation, tuple(run.records), frozen)

    def _store_originals(self, conversation: Conversation, run: Run) -> Conversation:
        for address, (outcome, tool) in run.originals.items():
            stored = guarded(
                "ccr:put",
                functools.partial(self._put, outcome, tool),
                False,
                raise_errors=self.raise_errors,
            )
            if not stored:
                conversation = conversation.with_text(address, outcome.original)
                run.records[:] = [_undone(r) if r.address == address else r for r in run.records]
        return conversation

    def _put(self, outcome: Outcome, tool: str | None) -> bool:
        self.ccr.put(outcome.original, kind=outcome.kind, tool=tool, signature=outcome.signature)
        return True


def _undone(record: BlockRecord) -> BlockRecord:
    kept = replace(record.outcome, text=record.outcome.original, ccr_id=None)
    return replace(record, outcome=replace(kept, decision=Decision.KEPT, reason=Reason.ERROR))
