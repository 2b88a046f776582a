"""Summing provider usage objects across the rounds of one client request.

When the proxy answers retrieve calls itself, one client request costs several
upstream calls; the client (and the ledger) must see what all of them used
together. Usage objects differ by provider but share a shape: integer counters,
possibly nested (`cache_creation`, `prompt_tokens_details`), plus a few labels
(`service_tier`). Counters add up; labels come from the later round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headroom.types import JSONObject


def add_usage(first: Mapping[str, Any] | None, later: Mapping[str, Any] | None) -> JSONObject:
    """`first + later`, field by field, in `first`'s key order then `later`'s new keys."""
    total: JSONObject = dict(first or {})
    for key, value in (later or {}).items():
        total[key] = _add(total.get(key), value)
    return total


def _add(a: Any, b: Any) -> Any:
    if _is_count(a) and _is_count(b):
        return a + b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return add_usage(a, b)
    return a if b is None else b


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
