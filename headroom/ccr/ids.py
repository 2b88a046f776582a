"""Content-addressed ids for stored originals: `hr_` + 12 hex of SHA-256.

Ids depend only on the original text, so a compressor can name the id in its
marker before anything is stored, and two proxy replicas name the same
original the same way.
"""

from __future__ import annotations

import hashlib
import re

ID_PREFIX = "hr_"
ID_PATTERN = re.compile(r"\bhr_[0-9a-f]{12}\b")
_FULL_ID = re.compile(r"hr_[0-9a-f]{12}")


def ccr_id(original: str) -> str:
    """The id an original is stored under."""
    digest = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()
    return ID_PREFIX + digest[:12]


def is_ccr_id(text: str) -> bool:
    """True when `text` is exactly one well-formed id."""
    return _FULL_ID.fullmatch(text) is not None
