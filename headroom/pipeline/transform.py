"""The transform protocol, and the transform that compresses tool results.

A transform takes a conversation and returns a new one; it is pure and
synchronous. It reports what it did to each block as `BlockRecord`s in the
run it is handed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from headroom.cache.frozen import Frozen, FrozenHistory
from headroom.cache.planner import CachePlan
from headroom.pipeline.engine import Decision, Engine, Outcome, Reason
from headroom.types import (
    BlockAddress,
    CompressContext,
    Conversation,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    ToolResultBlock,
)


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """The decision taken on one block, with its reason and its sizes."""

    address: BlockAddress
    outcome: Outcome
    tool: str | None = None
    #: Why the cache planner decided what it did, when it was asked.
    plan: str | None = None

    @property
    def kind(self) -> str:
        return self.outcome.kind

    @property
    def compressor(self) -> str | None:
        return self.outcome.compressor

    @property
    def ccr_id(self) -> str | None:
        return self.outcome.ccr_id

    @property
    def decision(self) -> Decision:
        return self.outcome.decision

    @property
    def reason(self) -> Reason:
        return self.outcome.reason

    @property
    def tokens_before(self) -> int:
        return self.outcome.tokens_before

    @property
    def tokens_after(self) -> int:
        return self.outcome.tokens_after


@dataclass(slots=True)
class Run:
    """What the transforms of one pipeline run report."""

    records: list[BlockRecord] = field(default_factory=list)
    #: Originals to store, by the address of the block that replaced them.
    originals: dict[BlockAddress, tuple[Outcome, str | None]] = field(default_factory=dict)
    #: First-seen decisions to remember once the request is sent.
    frozen: list[tuple[str, Frozen]] = field(default_factory=list)


class Transform(Protocol):
    name: str

    def apply(self, conversation: Conversation, run: Run) -> Conversation:
        """A new conversation; what was done goes into `run`."""
        ...


class CompressToolResults:
    """Routes each tool-result text to its compressor.

    With `frozen`, a block seen before gets exactly what it got the first time
    (see `headroom.cache.frozen`). With `plan`, a block the previous request
    already sent as it was is changed only when the cache planner says so.
    With `frozen_only`, nothing new is compressed: blocks seen before keep
    their frozen form and the rest go as they are (the fallback when the time
    budget ran out, which keeps the sent history byte-identical).
    """

    name = "compress"

    def __init__(
        self,
        engine: Engine,
        *,
        query: str | None = None,
        frozen: FrozenHistory | None = None,
        plan: CachePlan | None = None,
        frozen_only: bool = False,
    ) -> None:
        self.engine = engine
        self.query = query
        self.frozen = frozen
        self.plan = plan
        self.frozen_only = frozen_only

    def apply(self, conversation: Conversation, run: Run) -> Conversation:
        targets = list(_tool_result_texts(conversation))
        if not targets:
            return conversation
        sizes = _message_sizes(conversation.messages) if self.plan is not None else []
        for address, part, parent in targets:
            record = self._decide(address, part, parent, sizes, run)
            run.records.append(record)
            outcome = record.outcome
            if outcome.changed:
                conversation = conversation.with_text(address, outcome.text)
                if outcome.ccr_id and outcome.decision is Decision.COMPRESSED:
                    run.originals[address] = (outcome, parent.origin.tool_name)
        return conversation

    def _decide(
        self,
        address: BlockAddress,
        part: TextBlock,
        parent: ToolResultBlock,
        sizes: list[int],
        run: Run,
    ) -> BlockRecord:
        tool = parent.origin.tool_name
        query = self.query or part.query or parent.query
        key = self.frozen.key(part.text, tool, query) if self.frozen is not None else None
        if key is not None and self.frozen is not None:
            hit = self.frozen.get(key)
            if hit is not None:
                return BlockRecord(address, self._thawed(part.text, hit), tool)
        if self.frozen_only:
            kept = self._kept(part.text, Reason.TIME_BUDGET)
            return BlockRecord(address, kept, tool)
        ctx = CompressContext(query=query, origin=parent.origin)
        outcome = self.engine.compress(part.text, ctx)
        plan = self.plan
        if outcome.changed and plan is not None and plan.already_sent(address.message):
            verdict = plan.verdict(
                original=len(part.text),
                shrunk=len(outcome.text),
                after=sum(sizes[address.message + 1 : plan.state.messages_sent]),
            )
            if not verdict.change:
                # Not remembered: once the cache goes cold the block is eligible again.
                kept = replace(
                    outcome,
                    text=part.text,
                    ccr_id=None,
                    decision=Decision.KEPT,
                    reason=Reason.CACHE_PLANNER,
                )
                return BlockRecord(address, kept, tool, verdict.why)
            if key is not None:
                run.frozen.append((key, _frozen_of(outcome)))
            return BlockRecord(address, outcome, tool, verdict.why)
        if key is not None and outcome.reason is not Reason.ERROR:
            run.frozen.append((key, _frozen_of(outcome)))
        return BlockRecord(address, outcome, tool)

    def _kept(self, text: str, reason: Reason) -> Outcome:
        return Outcome(text, text, "text", None, None, Decision.KEPT, reason, self.engine.counter)

    def _thawed(self, text: str, frozen: Frozen) -> Outcome:
        if frozen.text is None:
            reason = Reason(frozen.reason) if frozen.reason in _REASONS else Reason.SAVED
            decision = Decision.SKIPPED if frozen.skipped else Decision.KEPT
            return replace(self._kept(text, reason), kind=frozen.kind, decision=decision)
        return Outcome(
            original=text,
            text=frozen.text,
            kind=frozen.kind,
            compressor=frozen.compressor,
            ccr_id=frozen.ccr_id,
            decision=Decision.FROZEN,
            reason=Reason.SAVED,
            counter=self.engine.counter,
            signature=frozen.signature,
        )


_REASONS = frozenset(r.value for r in Reason)


def _frozen_of(outcome: Outcome) -> Frozen:
    return Frozen(
        text=outcome.text if outcome.changed else None,
        kind=outcome.kind,
        compressor=outcome.compressor if outcome.changed else None,
        ccr_id=outcome.ccr_id if outcome.changed else None,
        signature=outcome.signature,
        reason=outcome.reason.value,
        skipped=outcome.decision is Decision.SKIPPED,
    )


def _message_sizes(messages: tuple[Message, ...]) -> list[int]:
    """Roughly how many characters each message carries (the planner's sizes)."""
    sizes = []
    for message in messages:
        size = 0
        for block in message.blocks:
            if isinstance(block, TextBlock | ThinkingBlock):
                size += len(block.text)
            elif isinstance(block, ToolResultBlock):
                size += sum(len(p.text) for p in block.parts if isinstance(p, TextBlock))
            elif isinstance(block, ToolCallBlock):
                size += len(block.name) + len(str(block.input))
        sizes.append(size)
    return sizes


def _tool_result_texts(
    conversation: Conversation,
) -> Iterator[tuple[BlockAddress, TextBlock, ToolResultBlock]]:
    for address, block in conversation.iter_blocks():
        if isinstance(block, ToolResultBlock) and address.part is None:
            for p, part in enumerate(block.parts):
                if isinstance(part, TextBlock):
                    yield BlockAddress(address.message, address.block, p), part, block
