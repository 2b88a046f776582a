"""Picks the compressors for a block.

The kind of content is decided first from the tool call that produced it (a
Read of `x.py` is code, Grep output is search results), then from the content
itself. The registry then gives the compressors for that kind, specific ones
first and the any-kind ones (the lossless cleaner) last.
"""

from __future__ import annotations

from dataclasses import dataclass

from headroom.compressors.base import Compressor
from headroom.compressors.detect import detect_kind, kind_from_origin
from headroom.compressors.registry import Registry
from headroom.types import CompressContext


@dataclass(frozen=True, slots=True)
class Route:
    kind: str
    #: How the kind was decided: "hint", "tool" or "content".
    source: str
    compressors: tuple[Compressor, ...]


class Router:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def route(self, text: str, ctx: CompressContext) -> Route:
        if ctx.kind:
            kind, source = ctx.kind, "hint"
        elif (from_tool := kind_from_origin(ctx.origin)) is not None:
            kind, source = from_tool, "tool"
        else:
            kind, source = detect_kind(text), "content"
        return Route(kind, source, tuple(self.registry.for_kind(kind)))
