"""`headroom bench`: compress every sample once per needle question, and score it.

Each needle question is one compression with that question as the query. A
needle is kept when all its strings appear verbatim in the compressed text
(or in its decoded JSON strings). Per sample: tokens before, the mean tokens
after over its questions, the median milliseconds; then one summary per type
(tokens summed) and a total.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from headroom.bench.corpus import Sample, needle_kept
from headroom.runtime import Runtime
from headroom.types import CompressContext


@dataclass(frozen=True, slots=True)
class SampleResult:
    id: str
    type: str
    kind_detected: str
    tokens_before: int
    tokens_after: float
    saved_pct: float
    ms: float
    needles_total: int
    needles_kept: int
    compressor: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Summary:
    summary: str
    type: str
    samples: int
    tokens_before: int
    tokens_after: float
    saved_pct: float
    needles_total: int
    needles_kept: int
    p50_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_sample(runtime: Runtime, sample: Sample) -> SampleResult:
    text = sample.read()
    afters: list[int] = []
    times: list[float] = []
    kept = 0
    kinds: list[str] = []
    compressors: list[str] = []
    before = 0
    for needle in sample.needles:
        start = time.perf_counter()
        outcome = runtime.engine.compress(text, CompressContext(query=needle.question))
        times.append((time.perf_counter() - start) * 1000)
        before = outcome.tokens_before
        afters.append(outcome.tokens_after)
        kinds.append(outcome.kind)
        if outcome.compressor and outcome.changed:
            compressors.append(outcome.compressor)
        kept += needle_kept(needle, outcome.text)
    after = statistics.fmean(afters) if afters else float(before)
    return SampleResult(
        id=sample.id,
        type=sample.type,
        kind_detected=kinds[0] if kinds else "",
        tokens_before=before,
        tokens_after=round(after, 1),
        saved_pct=_pct(before, after),
        ms=round(statistics.median(times), 2) if times else 0.0,
        needles_total=len(sample.needles),
        needles_kept=kept,
        compressor=compressors[0] if compressors else None,
    )


def run(
    runtime: Runtime,
    samples: Iterable[Sample],
    *,
    on_done: Callable[[SampleResult], None] | None = None,
) -> list[SampleResult]:
    results = []
    for sample in samples:
        result = run_sample(runtime, sample)
        results.append(result)
        if on_done is not None:
            on_done(result)
    return results


def summarize(results: list[SampleResult]) -> list[Summary]:
    """One summary per type, in first-seen order, then the total."""
    types = list(dict.fromkeys(r.type for r in results))
    out = [_summary("type", t, [r for r in results if r.type == t]) for t in types]
    out.append(_summary("total", "all", results))
    return out


def _summary(level: str, name: str, results: list[SampleResult]) -> Summary:
    before = sum(r.tokens_before for r in results)
    after = round(sum(r.tokens_after for r in results), 1)
    times = [r.ms for r in results] or [0.0]
    return Summary(
        summary=level,
        type=name,
        samples=len(results),
        tokens_before=before,
        tokens_after=after,
        saved_pct=_pct(before, after),
        needles_total=sum(r.needles_total for r in results),
        needles_kept=sum(r.needles_kept for r in results),
        p50_ms=round(statistics.median(times), 2),
        max_ms=round(max(times), 2),
    )


def _pct(before: float, after: float) -> float:
    return round(100.0 * (before - after) / before, 2) if before else 0.0
