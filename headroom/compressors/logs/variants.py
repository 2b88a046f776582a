"""Variants: the rare value of a small field, as in "error state 7" among "error state 6".

Masking makes `error state 6` and `error state 7` one template, which is right
for counting but hides the odd one out. So each template's small numbers (one
to three digits: states, codes, levels, exit statuses) are read back from the
forms `templates.mine` left them in. A field is categorical when it only ever
holds small numbers, and few distinct ones: a state, not an id or a size (an
id sometimes has three digits, and then the mask took it, which disqualifies
it). A line's variant is its template plus the values of its categorical
fields; the selection keeps the first line of each variant of an error, and
rare variants of anything.

The work is per distinct form, not per line, so it costs a fraction of the
masking pass.
"""

from __future__ import annotations

import re

from headroom.compressors.logs.templates import NAMES, TOKEN_CHARS, WILDCARD, Templates

__all__ = ["FEW_VALUES", "variants"]

#: A field with more distinct values than this is a measure or an id, not a state.
FEW_VALUES = 8
#: Where the message starts: the first word that is not a month or day name
#: (fields before it are the header: time, pid, thread).
_FIRST_WORD = re.compile(rf"(?!(?:{NAMES})\b)[A-Za-z]{{3}}")
_FIELD = re.compile(rf"<\*>|(?<![{TOKEN_CHARS}])-?[0-9]{{1,3}}(?![{TOKEN_CHARS}])")

Fields = tuple[str, ...]


def variants(found: Templates) -> list[int]:
    """The variant id of every line (ids in order of first appearance)."""
    fields = [_fields(form) for form in found.forms]
    categorical = _categorical_fields(found.form_template, fields)
    index: dict[tuple[int, Fields], int] = {}
    form_variant = []
    for template, values in zip(found.form_template, fields, strict=True):
        picked = tuple(values[p] for p in categorical.get(template, ()))
        form_variant.append(index.setdefault((template, picked), len(index)))
    return [form_variant[f] for f in found.form_ids]


def _fields(form: str) -> Fields:
    start = _FIRST_WORD.search(form)
    return tuple(_FIELD.findall(form, start.start() if start else 0))


def _categorical_fields(form_template: list[int], fields: list[Fields]) -> dict[int, list[int]]:
    """Per template, the positions of its categorical fields."""
    seen: dict[int, list[set[str]] | None] = {}
    for template, values in zip(form_template, fields, strict=True):
        if template not in seen:
            seen[template] = [set() for _ in values]
        known = seen[template]
        if known is None:
            continue
        if len(known) != len(values):
            seen[template] = None  # the forms do not line up: no fields
            continue
        for found, value in zip(known, values, strict=True):
            found.add(value)
    return {
        t: [
            p
            for p, found in enumerate(known)
            if WILDCARD not in found and len(found) > 1 and len(found) <= FEW_VALUES
        ]
        for t, known in seen.items()
        if known
    }
