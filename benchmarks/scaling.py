"""How compression time grows with input size: 1×, 10× and 100× a large input.

Builds a large log (the largest corpus log, repeated) and a large JSON array
(the largest corpus JSON array, its rows repeated), and times the full engine
path (routing, tokenizing, compressing) on each size in one run. Time per MB
should stay flat (linear growth); the report gives each size's ms/MB as a
ratio to the 1× size.

    python benchmarks/scaling.py --corpus ../shared/corpus [--factors 1,10,100]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import orjson

from headroom.runtime import get_runtime
from headroom.types import CompressContext


def largest(corpus: Path, kind: str) -> str:
    files = sorted((corpus / kind).iterdir(), key=lambda p: p.stat().st_size)
    if kind == "json":
        files = [p for p in files if isinstance(orjson.loads(p.read_bytes()), list)]
    return files[-1].read_text(encoding="utf-8", errors="replace")


def scaled_log(text: str, factor: int) -> str:
    return "\n".join([text.rstrip("\n")] * factor)


def scaled_json(text: str, factor: int) -> str:
    rows = orjson.loads(text)
    return orjson.dumps(rows * factor, option=orjson.OPT_INDENT_2).decode()


def time_one(text: str, query: str, runs: int) -> float:
    engine = get_runtime(store="memory", learning=False).engine
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        engine.compress(text, CompressContext(query=query))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--factors", default="1,10,100")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    factors = [int(f) for f in args.factors.split(",")]
    cases = {
        "logs": (largest(args.corpus, "logs"), scaled_log, "which errors happened?"),
        "json": (largest(args.corpus, "json"), scaled_json, "which rows are unusual?"),
    }
    print(f"{'input':<6} {'×':>5} {'MB':>8} {'ms':>10} {'ms/MB':>9} {'vs 1×':>7}")
    for name, (base, scale, query) in cases.items():
        first: float | None = None
        for factor in factors:
            text = scale(base, factor)
            mb = len(text.encode()) / 1e6
            ms = time_one(text, query, args.runs if factor < 100 else 1)
            per_mb = ms / mb
            first = first or per_mb
            ratio = per_mb / first
            print(f"{name:<6} {factor:>5} {mb:>8.2f} {ms:>10.1f} {per_mb:>9.1f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
