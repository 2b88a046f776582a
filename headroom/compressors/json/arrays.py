"""Writing arrays: inline lists, tables, records and mixed lists.

- Short scalars go on one line: `[fixtures, hello, hello-world]`.
- Alike records become a table: a header naming the columns, the constant
  columns once, then one line of cells per row.
- Other records are written one by one as outlines, after the leaves they
  all share.
- Anything else is a list of `- ` items.

When a pass limits rows, the best rows are kept (see `rows`) in their
original order, followed by one marker that summarizes the omitted ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from headroom.compressors.json.scalars import is_scalar, json_text, path_text, quote, scalar_text
from headroom.compressors.json.shapes import Skip, TableShape
from headroom.compressors.json.summary import summarize
from headroom.compressors.json.tables import cell_texts, layout, url_detail

if TYPE_CHECKING:
    from headroom.compressors.json.outline import Outline

__all__ = ["array"]

#: Scalars at most this long (and on one line) are written in an inline list.
MAX_INLINE_ITEM = 80


def array(out: Outline, lead: str, items: list[Any], indent: int, path: str) -> None:
    """Write the array `items` after `lead`."""
    if not items:
        out.put(lead, "[]")
        return
    if out.reference(lead, items, path):
        return
    out.widest = max(out.widest, len(items))
    child = indent + 2 if lead else indent
    if all(_inline(v) for v in items):
        _inline_list(out, lead, items)
        return
    shape = out.analysis.table(items)
    if shape is not None:
        _table(out, lead, items, shape, child, path)
    elif all(isinstance(v, dict) for v in items):
        _records(out, lead, items, child, path)
    else:
        _mixed(out, lead, items, child, path)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _inline(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_INLINE_ITEM and "\n" not in value and "\r" not in value
    return is_scalar(value)


def _omitted(out: Outline, items: list[Any], keep: list[int], unit: str) -> str | None:
    if len(keep) == len(items):
        return None
    detail = summarize(out.analysis.facts(items), set(keep))
    return out.mark(len(items) - len(keep), unit, total=len(items), detail=detail)


def _inline_list(out: Outline, lead: str, items: list[Any]) -> None:
    keep = out.analysis.keep(items, out.limits.items)
    text = "[" + ", ".join(_item_text(items[i]) for i in keep) + "]"
    cut = _omitted(out, items, keep, "items")
    out.put(lead, f"{text} {cut}" if cut else text)


def _item_text(value: Any) -> str:
    """A scalar in an inline list: a bare `]` would read as the end of the list."""
    text = scalar_text(value, cell=True)
    return quote(text) if isinstance(value, str) and text is value and "]" in text else text


def _table(
    out: Outline, lead: str, items: list[Any], shape: TableShape, indent: int, path: str
) -> None:
    analysis = out.analysis
    prune = out.limits.prune
    plan = analysis.memo(
        ("layout", id(shape), prune), lambda: layout(shape, analysis.terms, prune=prune)
    )
    if not prune and not out.prunable:
        survey = analysis.memo(("survey", id(shape)), lambda: layout(shape, [], prune=True))
        out.prunable = bool(survey.dropped)
    n = len(items)
    out.put(lead, f"{n} rows of {plan.header}" if plan.columns else f"{n} same rows")
    pad = " " * indent
    if plan.dropped:
        out.lines.append(
            pad + out.mark(len(plan.dropped), "fields", detail=url_detail(plan.dropped))
        )
    if plan.shared:
        seen = out.repeats.seen(plan.shared, path)
        out.lines.append(
            f"{pad}every row has: " + (f"(same as in {seen})" if seen else plan.shared)
        )
    if not plan.columns:
        return
    cells = analysis.memo(("cells", id(shape)), lambda: cell_texts(shape))
    keep = analysis.keep(items, out.limits.rows)
    out.lines.extend(pad + ",".join(cells[j][i] for j in plan.columns) for i in keep)
    cut = _omitted(out, items, keep, "rows")
    if cut:
        out.lines.append(pad + cut)


def _records(out: Outline, lead: str, items: list[Any], indent: int, path: str) -> None:
    out.put(lead, _count(len(items), "item"))
    pad = " " * indent
    constants = out.analysis.constants(items)
    shared = out.analysis.memo(
        ("shared", id(items)), lambda: json_text([[list(p), v] for p, v in constants])
    )
    seen = out.repeats.seen(shared, path)
    if seen:
        out.lines.append(f"{pad}every item has: (same as in {seen})")
    elif constants:
        out.lines.append(f"{pad}every item has:")
        for p, value in constants:
            out.value(f"{pad}  {path_text(p)}:", value, indent + 2, f"{path}[*].{path_text(p)}")
    skip = out.analysis.memo(("skip", id(items)), lambda: Skip.of([p for p, _ in constants]))
    keep = out.analysis.keep(items, out.limits.rows)
    for i in keep:
        out.object(f"{pad}-", items[i], indent, f"{path}[{i}]", skip)
    cut = _omitted(out, items, keep, "items")
    if cut:
        out.lines.append(pad + cut)


def _mixed(out: Outline, lead: str, items: list[Any], indent: int, path: str) -> None:
    out.put(lead, _count(len(items), "item"))
    pad = " " * indent
    keep = out.analysis.keep(items, out.limits.rows)
    for i in keep:
        out.value(f"{pad}-", items[i], indent, f"{path}[{i}]")
    cut = _omitted(out, items, keep, "items")
    if cut:
        out.lines.append(pad + cut)
