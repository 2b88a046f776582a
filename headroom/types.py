"""The provider-neutral conversation model (IR).

Every wire format (Anthropic Messages, OpenAI Chat, OpenAI Responses, Gemini) is
parsed into these immutable types and rendered back from them. The IR carries
only what the pipeline reasons about; everything else stays in the original
wire body, which the adapter keeps in `Conversation.raw` and patches on render.

Each text-bearing block knows where it lives in the wire body (`ref`, a path of
keys and indexes), so rendering writes back only the text that changed and the
rest of the body stays byte-for-byte what the client sent (Principle 2).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias

#: A path into a wire body: dict keys and list indexes, outermost first.
WireRef: TypeAlias = tuple[str | int, ...]

#: A JSON object as parsed from a request body.
JSONObject: TypeAlias = dict[str, Any]


class Role(enum.StrEnum):
    """Who said a message. Roles the IR does not know become `OTHER`."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a tool result came from: the call that produced it."""

    tool_name: str | None = None
    tool_input: Mapping[str, Any] | None = None
    file_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockBase:
    """Fields every block has.

    `ref` locates the block's editable text in the wire body (None when the
    block has no editable text). `query` is the user's question in force: the
    last user text before this block.
    """

    ref: WireRef | None = None
    query: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextBlock(BlockBase):
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallBlock(BlockBase):
    id: str
    name: str
    input: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageBlock(BlockBase):
    media_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ThinkingBlock(BlockBase):
    """Model reasoning. Never edited: signatures must come back unmodified."""

    text: str = ""
    signature: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OpaqueBlock(BlockBase):
    """Anything the IR does not understand. It is passed through untouched."""

    type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResultBlock(BlockBase):
    """The output of a tool call.

    `parts` holds the content: usually one `TextBlock`, sometimes a mix of text,
    images and unknown parts (block arrays). Each text part has its own `ref`.
    """

    tool_call_id: str
    parts: tuple[Block, ...] = ()
    origin: Origin = field(default_factory=Origin)
    is_error: bool = False

    @property
    def text(self) -> str:
        """The text parts joined by newlines."""
        return "\n".join(p.text for p in self.parts if isinstance(p, TextBlock))


Block: TypeAlias = (
    TextBlock | ToolCallBlock | ToolResultBlock | ImageBlock | ThinkingBlock | OpaqueBlock
)


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    blocks: tuple[Block, ...]
    #: The role string exactly as the wire format spelled it.
    wire_role: str = ""


@dataclass(frozen=True, slots=True)
class ToolDef:
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class BlockAddress:
    """Where a block sits in a conversation.

    `message` is an index into `Conversation.messages` (or -1 for the system
    prompt), `block` an index into that message's blocks, and `part` an index
    into a tool result's parts (None for top-level blocks).
    """

    message: int
    block: int
    part: int | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """One request, provider-neutral.

    `raw` is the wire body the conversation was parsed from. It is never
    mutated; adapters copy the spine of the paths they write to.
    """

    provider: str
    messages: tuple[Message, ...]
    system: tuple[Block, ...] = ()
    tools: tuple[ToolDef, ...] = ()
    model: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def iter_blocks(self) -> Iterator[tuple[BlockAddress, Block]]:
        """Every block in order, system prompt first, tool-result parts included."""
        for i, block in enumerate(self.system):
            yield BlockAddress(-1, i), block
        for m, message in enumerate(self.messages):
            for b, block in enumerate(message.blocks):
                yield BlockAddress(m, b), block
                if isinstance(block, ToolResultBlock):
                    for p, part in enumerate(block.parts):
                        yield BlockAddress(m, b, p), part

    def block_at(self, address: BlockAddress) -> Block:
        blocks = self.system if address.message < 0 else self.messages[address.message].blocks
        block = blocks[address.block]
        if address.part is None:
            return block
        if not isinstance(block, ToolResultBlock):
            raise IndexError(f"block {address} is not a tool result")
        return block.parts[address.part]

    def replace_block(self, address: BlockAddress, new: Block) -> Conversation:
        """A copy of the conversation with one block (or tool-result part) replaced."""
        if address.message < 0:
            return replace(self, system=_replace_in(self.system, address, new))
        message = self.messages[address.message]
        new_message = replace(message, blocks=_replace_in(message.blocks, address, new))
        messages = list(self.messages)
        messages[address.message] = new_message
        return replace(self, messages=tuple(messages))

    def with_text(self, address: BlockAddress, text: str) -> Conversation:
        """A copy with the text of one text block (or text part) replaced."""
        block = self.block_at(address)
        if not isinstance(block, TextBlock):
            raise TypeError(f"block at {address} is {type(block).__name__}, not TextBlock")
        return self.replace_block(address, replace(block, text=text))


def _replace_in(blocks: tuple[Block, ...], address: BlockAddress, new: Block) -> tuple[Block, ...]:
    out = list(blocks)
    if address.part is None:
        out[address.block] = new
    else:
        parent = out[address.block]
        if not isinstance(parent, ToolResultBlock):
            raise IndexError(f"block {address} is not a tool result")
        parts = list(parent.parts)
        parts[address.part] = new
        out[address.block] = replace(parent, parts=tuple(parts))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CompressContext:
    """What a compressor may know about the text in front of it.

    Compressors are pure: they read this and the text, nothing else.
    """

    query: str | None = None
    origin: Origin = field(default_factory=Origin)
    kind: str | None = None
    #: A soft target for the output size, in tokens (None: the compressor decides).
    budget_tokens: int | None = None
    #: How much more than its default a compressor should keep (learned from
    #: retrievals: 1.0 is the default, 2.0 keeps about twice as many rows/lines).
    keep_factor: float = 1.0


@dataclass(frozen=True, slots=True)
class Compressed:
    """What a compressor returns.

    `ccr_id` is set when the cut is lossy: the pipeline then stores the original
    under that id (ids are content-addressed, so a compressor can compute one
    itself with `headroom.ccr.ccr_id`).
    """

    text: str
    kind: str
    compressor: str
    ccr_id: str | None = None
