"""Reading an evaluation corpus in the `shared/corpus` manifest format.

A corpus is a folder with `manifest.jsonl`: one sample per line, with its
`id`, `type`, `path` (relative to the folder) and `needles`: questions, each
with the exact strings (`must_contain`) a faithful compression must keep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


class CorpusError(ValueError):
    """The corpus folder or its manifest cannot be used."""


@dataclass(frozen=True, slots=True)
class Needle:
    question: str
    must_contain: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    type: str
    path: Path
    needles: tuple[Needle, ...]

    def read(self) -> str:
        return self.path.read_bytes().decode("utf-8", errors="replace")


def load_corpus(folder: Path, *, kind: str | None = None) -> list[Sample]:
    """The samples of a corpus, optionally only those of one type."""
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        raise CorpusError(f"{folder} has no manifest.jsonl; pass the corpus folder (--corpus)")
    samples = list(_samples(folder, manifest))
    if kind is not None:
        samples = [s for s in samples if s.type == kind]
        if not samples:
            raise CorpusError(f"the corpus has no samples of type {kind!r}")
    return samples


def _samples(folder: Path, manifest: Path) -> Iterator[Sample]:
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record: dict[str, Any] = orjson.loads(line)
            yield _sample(folder, record)
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"{manifest}:{number}: not a valid sample ({exc})") from exc


def _sample(folder: Path, record: dict[str, Any]) -> Sample:
    path = folder / record["path"]
    if not path.is_file():
        raise CorpusError(f"sample {record['id']}: file {path} is missing")
    needles = tuple(
        Needle(question=n["question"], must_contain=tuple(n["must_contain"]))
        for n in record["needles"]
    )
    return Sample(id=record["id"], type=record["type"], path=path, needles=needles)


def decoded_strings(text: str) -> str:
    """The string values of a JSON or JSON-lines text, joined by newlines.

    Where a tool output stores text escaped (agent traces), a model reads the
    unescaped text, so needles are checked against it too.
    """
    docs: list[Any] = []
    try:
        docs = [orjson.loads(text)]
    except orjson.JSONDecodeError:
        for line in text.splitlines():
            try:
                docs.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    out: list[str] = []
    stack = list(reversed(docs))
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return "\n".join(out)


def needle_kept(needle: Needle, text: str, decoded: str | None = None) -> bool:
    """True when every string of the needle appears verbatim in what the model sees."""
    if all(s in text for s in needle.must_contain):
        return True
    decoded = decoded_strings(text) if decoded is None else decoded
    return all(s in text or s in decoded for s in needle.must_contain)
