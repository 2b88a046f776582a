"""The compressor protocol.

A compressor turns one text into a shorter one for one or more content kinds.
It is a pure, deterministic function of the text and its `CompressContext`:
no network, environment, clock or database. It returns None when it has
nothing useful to do. When its cut is lossy it sets `Compressed.ccr_id`
(`headroom.ccr.ccr_id(text)`) and writes one marker with `headroom.ccr.marker`;
the pipeline then stores the original under that id.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from headroom.types import CompressContext, Compressed

#: The kind a compressor lists to say it applies to any content.
ANY_KIND = "*"


@runtime_checkable
class Compressor(Protocol):
    #: Unique name, used in stats, settings and plugin registration.
    name: str
    #: Content kinds it handles ("json", "logs", …, or "*").
    kinds: tuple[str, ...]

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        """A shorter form of `text`, or None."""
        ...
