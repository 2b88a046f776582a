"""Headroom: a context-optimization layer for LLM applications.

It shrinks what a model is sent (tool outputs, file reads, JSON, logs, search
results, web pages, diffs, documents) and keeps every cut retrievable.

    from headroom import compress, compress_text, retrieve
"""

from headroom._version import __version__
from headroom.api import CompressResult, TextResult, compress, compress_text, retrieve

__all__ = [
    "CompressResult",
    "TextResult",
    "__version__",
    "compress",
    "compress_text",
    "retrieve",
]
