"""CCR: compress, cache, retrieve.

Every lossy cut stores its original here under a content-addressed id, with the
content kind, the tool that produced it and the time. `retrieve` gives the
original back, whole or, with a query, only the units that match. Unknown and
expired ids get a clear message, never an exception, because the caller is
usually a model that can act on the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from headroom.ccr.ids import ccr_id, is_ccr_id
from headroom.ccr.markers import marker, marker_ids
from headroom.ccr.units import Unit, matching, query_terms, split
from headroom.learning import Learner
from headroom.store.base import Store

__all__ = ["CCR", "Original", "ccr_id", "is_ccr_id", "marker", "marker_ids"]

#: Answers longer than this many matching units are cut to the best ones.
MAX_MATCHING_UNITS = 400


@dataclass(frozen=True, slots=True)
class Original:
    id: str
    text: str
    kind: str
    tool: str
    created_at: float
    signature: str = ""


class CCR:
    """Originals in a store, addressed by id."""

    def __init__(
        self, store: Store, *, ttl: float | None = None, learner: Learner | None = None
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.learner = learner

    def put(
        self, original: str, *, kind: str, tool: str | None = None, signature: str | None = None
    ) -> str:
        """Store `original` and return its id. Storing the same text again refreshes it.

        `signature` names the content's shape for learning (see headroom.learning).
        """
        key = ccr_id(original)
        meta = {"kind": kind, "tool": tool or "", "signature": signature or ""}
        self.store.put(_key(key), original.encode("utf-8"), ttl=self.ttl, meta=meta)
        self.store.incr("ccr.stored")
        return key

    def get(self, key: str) -> Original | None:
        if not is_ccr_id(key):
            return None
        item = self.store.get(_key(key))
        if item is None:
            return None
        return Original(
            id=key,
            text=item.value.decode("utf-8"),
            kind=item.meta.get("kind", "text"),
            tool=item.meta.get("tool", ""),
            created_at=item.created_at,
            signature=item.meta.get("signature", ""),
        )

    def retrieve(self, key: str, query: str | None = None) -> str:
        """The original behind `key`; with `query`, only the units that match it."""
        key = key.strip()
        if not is_ccr_id(key):
            return (
                f"[headroom: {key!r} is not a Headroom id; ids look like hr_ followed by "
                "12 hex characters, as written in the marker]"
            )
        original = self.get(key)
        if original is None:
            self.store.incr("ccr.retrieve.miss")
            return (
                f"[headroom: no original stored under {key}; it is unknown or has expired. "
                "Re-run the tool that produced it to see the full output again]"
            )
        self.store.incr("ccr.retrieve")
        self.store.incr(f"ccr.retrieve.kind.{original.kind}")
        if original.tool:
            self.store.incr(f"ccr.retrieve.tool.{original.tool}")
        whole = not query or not query.strip()
        if self.learner is not None and original.signature:
            self.learner.retrieved(original.signature, full=whole)
        if whole or query is None:
            return original.text
        return _select(original, query)


def _key(ccr: str) -> str:
    return f"ccr:{ccr}"


def _select(original: Original, query: str) -> str:
    unit_name, units = split(original.text, original.kind)
    terms = query_terms(query)
    found = matching(units, terms) if terms else []
    if not found:
        return (
            f"[headroom: none of the {len(units)} {unit_name} of {original.id} match "
            f"{query!r}; call headroom_retrieve id={original.id} without a query for all of it]"
        )
    shown = found[:MAX_MATCHING_UNITS]
    header = f"[headroom: {len(found)} of {len(units)} {unit_name} of {original.id} match {query!r}"
    if len(shown) < len(found):
        header += f"; the first {len(shown)} are shown"
    header += "]"
    return header + "\n" + _join(shown, unit_name)


def _join(units: list[Unit], unit_name: str) -> str:
    if unit_name != "lines":
        return "\n\n".join(u.text for u in units)
    out: list[str] = []
    previous = 0
    for unit in units:
        if previous and unit.line > previous + 1:
            out.append("…")
        out.append(unit.text)
        previous = unit.line
    return "\n".join(out)
