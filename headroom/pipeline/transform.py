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
    outcome: Outcome
    tool: str | None = None

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
            run.records.append(BlockRecord(address, outcome, parent.origin.tool_name))
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
