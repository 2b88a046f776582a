"""The compact view of a JSON document: an indented outline with tables.

    name: hello-world                      # object member, bare scalar
    topics: [fixtures, hello, hello-world] # short scalars inline
    owner:                                 # nested object, indented
      login: octokit-fixture-org
    labels: 3 rows of {id,name,color}      # alike records: a table
      every row has: default=true          # constant columns, once
      1000,bug,d73a4a
    steps: 2 items                         # records that are not a table
      every item has:
        scope: https://api.github.com:443  # leaves shared by all of them
      - method: get
        status: 404
    body: ```                              # multi-line text, verbatim
    line one
    line two
    ```
    args: (json)                           # a string holding JSON, decoded
      path: /workspace/x.py
    owner: (same as repos[0].owner)        # a long value seen before
    repo: (as steps[0].response, except)   # an alike object seen before:
      description: renamed                 # only the leaves that differ

Scalars follow `scalars.scalar_text` (quoted only when ambiguous). A cell
left empty is a key the record does not have; `""` is an empty string and
`null` is null. Lossy passes cut rows, long strings, long lists and URL
fields of wide objects, each with a marker.
"""

from __future__ import annotations

from typing import Any

from headroom.ccr import marker
from headroom.compressors.json import arrays
from headroom.compressors.json.analysis import Analysis, Limits, Rendered
from headroom.compressors.json.parse import Document
from headroom.compressors.json.prune import is_url, pointed
from headroom.compressors.json.repeats import Repeats
from headroom.compressors.json.scalars import (
    child_path,
    key_text,
    path_text,
    scalar_text,
    string_form,
)
from headroom.compressors.json.shapes import NO_SKIP, Path, Skip, leaves
from headroom.compressors.json.summary import summarize
from headroom.compressors.json.tables import url_detail

__all__ = ["Outline"]

#: Strings at least this long count as prose (text, code, logs), not as data.
MIN_PROSE = 200
#: Objects with at least this many fields may lose their URL fields.
WIDE_OBJECT = 8
#: Objects with more members than this are maps (ids to entries): passes that
#: limit rows limit their entries too.
WIDE_MAP = 50


class Outline:
    """One rendering pass over a document under one set of limits."""

    def __init__(self, limits: Limits, analysis: Analysis, ccr_id: str) -> None:
        self.limits = limits
        self.analysis = analysis
        self.ccr_id = ccr_id
        self.lines: list[str] = []
        self.cuts = 0
        self.repeats = Repeats(analysis)
        # What the pass met, which tells the compressor which tighter passes would differ.
        self.prose = 0
        self.longest = 0
        self.widest = 0
        self.prunable = False

    def render(self, document: Document) -> Rendered:
        if document.json_lines:
            arrays.array(self, "", document.values, 0, "")
        else:
            self.value("", document.values[0], 0, "")
        if document.tail:
            self.lines.append(document.tail)
        text = "\n".join(self.lines)
        return Rendered(text, self.cuts, self.prose, self.longest, self.widest, self.prunable)

    # ------------------------------------------------------------ helpers

    def put(self, lead: str, text: str) -> None:
        self.lines.append(f"{lead} {text}" if lead else text)

    def mark(self, omitted: int, unit: str, total: int | None = None, detail: str = "") -> str:
        self.cuts += 1
        return marker(ccr_id=self.ccr_id, omitted=omitted, unit=unit, total=total, detail=detail)

    def reference(self, lead: str, value: Any, path: str) -> bool:
        """Write `(same as …)` and return True when this long value was written before."""
        seen = self.repeats.seen(value, path)
        if seen is None:
            return False
        self.put(lead, f"(same as {seen or 'the whole document'})")
        return True

    def difference(self, lead: str, obj: dict[str, Any], indent: int, path: str) -> bool:
        """Write `(as …, except)` and the differing leaves when an alike object came before."""
        delta = self.repeats.delta(obj, path)
        if delta is None:
            return False
        if not delta.paths:
            self.put(lead, f"(same as {delta.base})")
            return True
        self.put(lead, f"(as {delta.base}, except)")
        pad = " " * (indent + 2 if lead else indent)
        for sub, value in zip(delta.paths, delta.values, strict=True):
            name = path_text(sub)
            self.value(f"{pad}{name}:", value, len(pad), f"{path}.{name}" if path else name)
        return True

    # ------------------------------------------------------------- values

    def value(self, lead: str, value: Any, indent: int, path: str) -> None:
        """Write `value` after `lead` (`  key:`, `  -` or nothing at the top)."""
        if isinstance(value, dict):
            self.object(lead, value, indent, path)
        elif isinstance(value, list):
            arrays.array(self, lead, value, indent, path)
        elif isinstance(value, str):
            self.string(lead, value, indent, path)
        else:
            self.put(lead, scalar_text(value))

    def object(
        self, lead: str, obj: dict[str, Any], indent: int, path: str, skip: Skip = NO_SKIP
    ) -> None:
        if not obj:
            self.put(lead, "{}")
            return
        if self.reference(lead, obj, path):
            return
        if skip is NO_SKIP and self.difference(lead, obj, indent, path):
            return
        dash = lead if lead.endswith("-") else None
        if lead and dash is None:
            self.lines.append(lead)
        child = indent + 2 if lead else indent
        written = self.members(obj, child, path, dash, skip, ())
        if not written and dash is not None:
            self.put(dash, "(only the fields every item has)")

    def members(
        self,
        obj: dict[str, Any],
        indent: int,
        path: str,
        dash: str | None,
        skip: Skip,
        prefix: Path,
    ) -> int:
        """Write the members of `obj`; return how many were written."""
        pad = " " * indent
        dropped = self._dropped_fields(obj)
        kept = self._kept_entries(obj)
        written = 0
        for key, value in obj.items():
            rel = (*prefix, key)
            if rel in skip.paths or key in dropped or (kept is not None and key not in kept):
                continue
            nested = rel in skip.parents and isinstance(value, dict)
            if nested and all((*rel, *sub) in skip.paths for sub, _ in leaves(value)):
                continue
            text = key_text(key)
            lead = f"{dash} {text}:" if dash is not None and not written else f"{pad}{text}:"
            where = child_path(path, key)
            if nested:
                self.lines.append(lead)
                self.members(value, indent + 2, where, None, skip, rel)
            else:
                self.value(lead, value, indent, where)
            written += 1
        self._mark_members(obj, pad, dropped, kept)
        return written

    def _mark_members(
        self, obj: dict[str, Any], pad: str, dropped: set[str], kept: set[str] | None
    ) -> None:
        if dropped:
            detail = url_detail([k for k in obj if k in dropped])
            self.lines.append(pad + self.mark(len(dropped), "fields", detail=detail))
        if kept is not None:
            facts = self.analysis.member_facts(obj)
            keys = list(obj)
            detail = summarize(facts, {i for i, k in enumerate(keys) if k in kept})
            omitted = len(obj) - len(kept)
            self.lines.append(pad + self.mark(omitted, "entries", total=len(obj), detail=detail))

    def _dropped_fields(self, obj: dict[str, Any]) -> set[str]:
        """URL fields of a wide object, but the first one and those the question points at.

        A pass that does not prune only notes whether pruning would drop anything.
        """
        if len(obj) < WIDE_OBJECT:
            return set()
        if not self.limits.prune:
            if not self.prunable:
                self.prunable = sum(1 for v in obj.values() if is_url(v)) > 1
            return set()
        urls = [k for k, v in obj.items() if is_url(v)]
        kept = pointed(urls, [obj[k].lower() for k in urls], self.analysis.terms)
        return {k for i, k in enumerate(urls) if i and i not in kept}

    def _kept_entries(self, obj: dict[str, Any]) -> set[str] | None:
        """The members a map-like object keeps when a pass limits rows (None: all)."""
        if len(obj) <= WIDE_MAP:
            return None
        self.widest = max(self.widest, len(obj))
        limit = self.limits.rows
        if limit is None or len(obj) <= limit:
            return None
        keys = list(obj)
        return {keys[i] for i in self.analysis.member_facts(obj).pick(self.analysis.terms, limit)}

    def string(self, lead: str, text: str, indent: int, path: str) -> None:
        if self.reference(lead, text, path):
            return
        decoded = self.analysis.nested(text)
        if decoded is not None:
            self.value(f"{lead} (json)" if lead else "(json)", decoded, indent, path)
            return
        if len(text) >= MIN_PROSE:
            self.prose += len(text)
            self.longest = max(self.longest, len(text))
        limit = self.limits.chars
        cut = None
        if limit is not None and len(text) > limit:
            cut = self.analysis.excerpts.cut(text, limit, self.mark)
        if cut is None:
            written, block = self.analysis.string_form(text)
        else:
            text = cut
            written, block = string_form(cut)
        self.put(lead, written)
        if block:
            self.lines.extend([text, written])
