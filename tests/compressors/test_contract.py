"""The contract every registered compressor keeps, checked on the whole corpus.

- Deterministic: the same input gives byte-identical output, twice in one
  process and again in a fresh process.
- Reversible: whatever the output, the original comes back through retrieve.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom.ccr import CCR, marker_ids
from headroom.compressors.registry import build_registry
from headroom.store.memory import MemoryStore
from headroom.types import CompressContext
from tests.conftest import ROOT, require_corpus


def corpus_digests(corpus: str) -> dict[str, str]:
    """sha256 of every compressor's output on every corpus sample (question 1 as query)."""
    registry = build_registry(raise_errors=True)
    out: dict[str, str] = {}
    for line in Path(corpus, "manifest.jsonl").read_text().splitlines():
        record = orjson.loads(line)
        text = Path(corpus, record["path"]).read_bytes().decode("utf-8", "replace")
        query = record["needles"][0]["question"]
        for name in registry.names():
            compressor = registry.get(name)
            assert compressor is not None
            kind = next(k for k in (*compressor.kinds, "text") if k != "*")
            result = compressor.compress(text, CompressContext(query=query, kind=kind))
            body = b"none" if result is None else result.text.encode("utf-8", "surrogatepass")
            out[f"{record['id']}:{name}"] = hashlib.sha256(body).hexdigest()
    return out


@pytest.fixture(scope="module")
def corpus() -> Path:
    return require_corpus()


def test_every_compressor_is_deterministic_in_process_and_across_processes(
    corpus: Path,
) -> None:
    first = corpus_digests(str(corpus))
    assert corpus_digests(str(corpus)) == first
    script = (
        "import json, sys; from tests.compressors.test_contract import corpus_digests; "
        "print(json.dumps(corpus_digests(sys.argv[1])))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(corpus)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert json.loads(proc.stdout) == first


LINES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
    max_size=60,
)
LOG_LINE = st.builds(
    lambda n, level, msg: f"2026-11-20 10:{n % 60:02d}:00 {level} {msg}",
    st.integers(0, 10_000),
    st.sampled_from(["INFO", "WARN", "ERROR", "DEBUG"]),
    LINES,
)
ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.integers(-(2**63), 2**63 - 1),
            "name": LINES,
            "ok": st.booleans(),
            "score": st.floats(-1e6, 1e6),
        }
    ),
    min_size=1,
    max_size=300,
)
TEXTS = st.one_of(
    st.lists(LOG_LINE, min_size=1, max_size=400).map("\n".join),
    ROWS.map(lambda rows: orjson.dumps(rows).decode()),
    st.lists(LINES, min_size=1, max_size=400).map("\n".join),
    st.text(max_size=4000),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, query=st.one_of(st.none(), LINES))
def test_compressed_output_plus_retrieve_gives_back_the_original(
    text: str, query: str | None
) -> None:
    registry = build_registry(raise_errors=True)
    ccr = CCR(MemoryStore())
    for name in registry.names():
        compressor = registry.get(name)
        assert compressor is not None
        result = compressor.compress(text, CompressContext(query=query))
        if result is None or result.text == text:
            continue
        if result.ccr_id is None:
            continue  # lossless by contract: nothing to retrieve
        ccr.put(text, kind=result.kind)
        assert marker_ids(result.text), f"{name} cut without a marker"
        assert set(marker_ids(result.text)) == {result.ccr_id}
        assert ccr.retrieve(result.ccr_id).encode("utf-8", "surrogatepass") == text.encode(
            "utf-8", "surrogatepass"
        )


def _ragged_rows() -> str:
    rows: list[dict[str, object]] = []
    for i in range(400):
        row: dict[str, object] = {"id": i, "name": f"item-{i}"}
        if i % 3 == 0:
            row["price"] = i * 1.5
        if i % 7 == 0:
            row["tags"] = ["a", "b"]
        if i % 11 == 0:
            row["extra"] = {"nested": {"deep": i}}
        rows.append(row)
    return orjson.dumps(rows).decode()


def _deep_json(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


# Odd inputs every compressor must survive: an empty text, non-UTF-8 bytes as a
# decoder leaves them (replacement characters, or lone surrogates from
# surrogateescape), NULs, ragged and deeply nested JSON, Windows line endings.
ODD_INPUTS = {
    "empty": "",
    "whitespace": " \n\t\n",
    "replacement": ("caf\ufffd r\ufffdsum\ufffd line\n" * 500),
    "surrogateescape": (b"\xff\xfe log \x80 line\n" * 500).decode("utf-8", "surrogateescape"),
    "nul": "a\x00b\x00c\n" * 2000,
    "ragged_json": _ragged_rows(),
    "deep_json": _deep_json(5000),
    "crlf_log": "\r\n".join(f"2026-11-20 10:00:{i % 60:02d} INFO tick {i}" for i in range(2000)),
    "one_long_line": "x" * 300_000,
}


@pytest.mark.parametrize("name", sorted(ODD_INPUTS))
def test_every_compressor_survives_odd_input_and_marks_every_cut(name: str) -> None:
    text = ODD_INPUTS[name]
    registry = build_registry(raise_errors=True)
    for compressor_name in registry.names():
        compressor = registry.get(compressor_name)
        assert compressor is not None
        result = compressor.compress(text, CompressContext(query="tick 7 price"))
        if result is None or result.ccr_id is None:
            continue
        assert set(marker_ids(result.text)) == {result.ccr_id}, compressor_name
