"""Which URL fields a tight pass may drop from wide objects and tables.

REST APIs pad every object with hypermedia links (`followers_url`,
`labels_url`, `comments_url` …): dozens of long URLs that repeat the
object's id and are rarely what a question is about. When a pass prunes,
an object with many fields keeps its first URL and drops the others, and
a table keeps its first URL column and drops the others, each with a
marker naming how many went. A URL field stays when the question points
at it: a term names its key (`clone` → `clone_url`) or matches its value
while matching few of the others (a term in every URL says nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from headroom.compressors.json.terms import Term

__all__ = ["is_url", "pointed"]

_URL = re.compile(r"https?://\S+")


def is_url(value: Any) -> bool:
    return isinstance(value, str) and _URL.fullmatch(value) is not None


def pointed(names: Sequence[str], texts: Sequence[str], terms: Sequence[Term]) -> set[int]:
    """Indexes of the URL fields the question points at.

    `names` are the fields' keys, `texts` their values lower-cased (for a
    column, its cells joined).
    """
    n = len(names)
    keys = [name.lower().replace("_", " ") for name in names]
    out: set[int] = set()
    for term in terms:
        for haystack in (keys, texts):
            hits = [i for i in range(n) if term.found_in(haystack[i])]
            if len(hits) <= max(1, n // 4):
                out.update(hits)
    return out
