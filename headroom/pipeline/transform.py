"""The transform protocol, and the transform that compresses tool results.

A transform takes a conversation and returns a new one; it is pure and
synchronous. It reports what it did to each block as `BlockRecord`s in the
run it is handed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from headroom.pipeline.engine import Decision, Engine, Outcome, Reason
from headroom.types import (
    BlockAddress,
    CompressContext,
    Conversation,
    TextBlock,
    ToolResultBlock,
)


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """The decision taken on one block, with its reason and its sizes."""

    address: BlockAddress
    kind: str
    compressor: str | None
    tokens_before: int
    tokens_after: int
    ccr_id: str | None
    decision: Decision
    reason: Reason
    tool: str | None = None


@dataclass(slots=True)
class Run:
    """What the transforms of one pipeline run report."""

    records: list[BlockRecord] = field(default_factory=list)
    #: Originals to store, by the address of the block that replaced them.
    originals: dict[BlockAddress, tuple[Outcome, str | None]] = field(default_factory=dict)


class Transform(Protocol):
    name: str

    def apply(self, conversation: Conversation, run: Run) -> Conversation:
        """A new conversation; what was done goes into `run`."""
        ...


class CompressToolResults:
    """Routes each tool-result text to its compressor."""

    name = "compress"

    def __init__(self, engine: Engine, *, query: str | None = None) -> None:
        self.engine = engine
        self.query = query

    def apply(self, conversation: Conversation, run: Run) -> Conversation:
        targets = list(_tool_result_texts(conversation))
        for address, part, parent in targets:
            query = self.query or part.query or parent.query
            ctx = CompressContext(query=query, origin=parent.origin)
            outcome = self.engine.compress(part.text, ctx)
            run.records.append(_record(address, outcome, parent.origin.tool_name))
            if outcome.changed:
                conversation = conversation.with_text(address, outcome.text)
                if outcome.ccr_id:
                    run.originals[address] = (outcome, parent.origin.tool_name)
        return conversation


def _tool_result_texts(
    conversation: Conversation,
) -> Iterator[tuple[BlockAddress, TextBlock, ToolResultBlock]]:
    for address, block in conversation.iter_blocks():
        if isinstance(block, ToolResultBlock) and address.part is None:
            for p, part in enumerate(block.parts):
                if isinstance(part, TextBlock):
                    yield BlockAddress(address.message, address.block, p), part, block


def _record(address: BlockAddress, outcome: Outcome, tool: str | None) -> BlockRecord:
    return BlockRecord(
        address=address,
        kind=outcome.kind,
        compressor=outcome.compressor,
        tokens_before=outcome.tokens_before,
        tokens_after=outcome.tokens_after,
        ccr_id=outcome.ccr_id,
        decision=outcome.decision,
        reason=outcome.reason,
        tool=tool,
    )
