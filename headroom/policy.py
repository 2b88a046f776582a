"""Per-tool policy: compress, lossless-only or never, by tool-name glob.

The table comes from the `tool_policy` setting; the user's entries are tried
first, then the shipped defaults (`headroom.config.DEFAULT_TOOL_POLICY`), and
the first glob that matches the tool name wins. A block with no tool (a text
compressed on its own) is compressed.
"""

from __future__ import annotations

import enum
import fnmatch
import functools

from headroom.config import DEFAULT_TOOL_POLICY, Pairs


class Policy(enum.StrEnum):
    COMPRESS = "compress"
    LOSSLESS_ONLY = "lossless-only"
    NEVER = "never"


@functools.lru_cache(maxsize=4096)
def policy_for(tool: str | None, table: Pairs = DEFAULT_TOOL_POLICY) -> Policy:
    """The policy for a tool name under `table` (then the defaults)."""
    if not tool:
        return Policy.COMPRESS
    for pattern, value in (*table, *DEFAULT_TOOL_POLICY):
        if fnmatch.fnmatchcase(tool, pattern):
            return Policy(value)
    return Policy.COMPRESS
