from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from headroom.bench.corpus import CorpusError, Needle, load_corpus, needle_kept
from headroom.bench.runner import run, summarize
from headroom.runtime import get_runtime
from tests.conftest import SHARED, require_corpus

SAMPLE_FIELDS = {
    "id",
    "type",
    "kind_detected",
    "tokens_before",
    "tokens_after",
    "saved_pct",
    "ms",
    "needles_total",
    "needles_kept",
}


@pytest.fixture
def corpus() -> Path:
    return require_corpus()


def _write_corpus(root: Path) -> Path:
    (root / "logs").mkdir(parents=True)
    lines = [f"2026-11-20 10:00:{i % 60:02d} INFO tick {i}\x1b[0m   " for i in range(300)]
    lines.append("2026-11-20 10:05:00 ERROR lost connection to db-7")
    (root / "logs" / "a.log").write_text("\n".join(lines))
    record = {
        "id": "logs-a",
        "type": "logs",
        "path": "logs/a.log",
        "needles": [
            {"question": "Which db was lost?", "must_contain": ["lost connection to db-7"]},
            {"question": "Any colour codes?", "must_contain": ["\x1b[0m"]},
        ],
    }
    (root / "manifest.jsonl").write_text(orjson.dumps(record).decode() + "\n")
    return root


def test_a_needle_is_kept_only_when_every_string_survives() -> None:
    needle = Needle("q", ("alpha", "beta"))
    assert needle_kept(needle, "alpha and beta")
    assert not needle_kept(needle, "alpha only")


def test_needles_count_in_decoded_json_strings() -> None:
    needle = Needle("q", ['say "hi"\nthen'])
    assert needle_kept(needle, orjson.dumps({"observation": 'say "hi"\nthen'}).decode())


def test_bench_scores_each_question_as_its_own_compression(tmp_path: Path) -> None:
    samples = load_corpus(_write_corpus(tmp_path))
    results = run(get_runtime(store="memory"), samples)
    (result,) = results
    assert result.kind_detected == "logs"
    assert result.needles_total == 2
    assert result.needles_kept == 1  # the lossless cleaner strips ANSI codes
    assert result.tokens_after < result.tokens_before
    total = summarize(results)[-1]
    assert (total.summary, total.samples, total.needles_kept) == ("total", 1, 1)


def test_missing_manifest_and_unknown_kind_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"no manifest\.jsonl"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no samples of type 'json'"):
        load_corpus(_write_corpus(tmp_path / "c"), kind="json")


@pytest.mark.corpus
def test_bench_jsonl_runs_on_the_whole_corpus(corpus: Path, _isolated_home: Path) -> None:
    env = {**os.environ, "HEADROOM_HOME": str(_isolated_home)}
    if (SHARED / "tiktoken").is_dir():
        env["TIKTOKEN_CACHE_DIR"] = str(SHARED / "tiktoken")
    proc = subprocess.run(
        [sys.executable, "-m", "headroom", "bench", "--corpus", str(corpus), "--format", "jsonl"],
        capture_output=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    rows = [orjson.loads(line) for line in proc.stdout.decode().splitlines()]
    samples = [r for r in rows if "summary" not in r]
    manifest = (corpus / "manifest.jsonl").read_text().splitlines()
    assert len(samples) == len([line for line in manifest if line.strip()])
    for row in samples:
        assert set(row) >= SAMPLE_FIELDS
        assert 0 <= row["needles_kept"] <= row["needles_total"]
        assert row["tokens_after"] <= row["tokens_before"]
    types = [r for r in rows if r.get("summary") == "type"]
    assert {t["type"] for t in types} == {s["type"] for s in samples}
    total = rows[-1]
    assert total["summary"] == "total"
    assert total["tokens_before"] == sum(s["tokens_before"] for s in samples)
    assert total["needles_total"] == sum(s["needles_total"] for s in samples)
