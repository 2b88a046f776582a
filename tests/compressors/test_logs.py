"""The logs compressor: hand-made edge cases and the real corpus (parts: test_logs_parts)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom.bench.corpus import Sample
from headroom.ccr import ccr_id, marker_ids
from headroom.ccr.markers import MARKER_PATTERN
from headroom.compressors.base import Compressor
from headroom.compressors.logs import LogsCompressor
from headroom.compressors.registry import build_registry
from headroom.types import CompressContext
from tests.compressors.corpus import corpus_samples, saved_share_keeping_needles

#: The annotation on the first kept line of a template that lost lines.
REPEATS = re.compile(r" \[×\d+(?:, last [^\]]+)?\]$")


def compress(
    text: str,
    query: str | None = None,
    *,
    budget_tokens: int | None = None,
    keep_factor: float = 1.0,
) -> str | None:
    ctx = CompressContext(query=query, budget_tokens=budget_tokens, keep_factor=keep_factor)
    result = LogsCompressor().compress(text, ctx)
    return None if result is None else result.text


def service_log(n: int = 3000, *, extra: dict[int, list[str]] | None = None) -> str:
    """A web service's log: one busy INFO template, with lines added after line i."""
    lines = []
    for i in range(n):
        stamp = f"2024-05-01 10:{i // 60 % 60:02d}:{i % 60:02d},{i % 1000:03d}"
        lines.append(
            f"{stamp} INFO  [worker-{i % 8}] request id={i * 7919 % 100000} "
            f"path=/api/items/{i % 50} status=200 took={i % 37}ms"
        )
        lines += (extra or {}).get(i, [])
    return "\n".join(lines)


TRACEBACK = [
    "2024-05-01 10:20:34,234 ERROR [worker-2] Unhandled exception in handler",
    "Traceback (most recent call last):",
    '  File "/app/handler.py", line 42, in handle',
    "    result = compute(item)",
    "ZeroDivisionError: division by zero",
]


#: The marker that ends a line cut for length.
CLIPPED = re.compile(
    r" \[headroom: \d+ characters omitted; headroom_retrieve id=hr_[0-9a-f]{12}\]$"
)


def body_lines(out: str) -> list[str]:
    """The kept lines of an output: marker lines dropped, repeat counts taken off."""
    return [REPEATS.sub("", line) for line in out.split("\n") if not line.startswith("[headroom:")]


def all_verbatim(out: str, original: str) -> bool:
    """Every kept line is a line of `original` (or, when cut for length, starts one)."""
    lines = original.replace("\r\n", "\n").split("\n")
    whole = set(lines)
    for line in body_lines(out):
        head = CLIPPED.sub("", line)
        if head == line and line not in whole:
            return False
        if head != line and not any(o.startswith(head) for o in lines):
            return False
    return True


# ---------------------------------------------------------------- the compressor


def test_compressor_implements_the_protocol_and_handles_logs() -> None:
    compressor = LogsCompressor()
    assert isinstance(compressor, Compressor)
    assert compressor.name == "logs"
    assert compressor.kinds == ("logs",)


def test_it_is_registered_for_logs_before_the_lossless_cleaner() -> None:
    names = [c.name for c in build_registry(raise_errors=True).for_kind("logs")]
    assert names.index("logs") < names.index("lossless")


@pytest.mark.parametrize("text", ["", "\n", "one line", "a\nb\nc", "\n\n\n\n\n\n\n\n\n"])
def test_empty_and_tiny_inputs_are_left_alone(text: str) -> None:
    assert compress(text) is None


PROSE = """The proposal adds a new keyword to the language.
It was discussed at length on the mailing list before the summit.
Several core developers raised concerns about readability.
Others pointed out that similar syntax exists in other languages.
A reference implementation is available on a public branch.
Benchmarks show no measurable slowdown for existing programs.
The steering council accepted the proposal with two amendments.
First, the feature is disabled by default for one release.
Second, the documentation must include a migration guide.
Tooling authors were asked to add support before the final release.
Linters already flag the most common mistakes.
Editors will highlight the keyword once grammars are updated.
Teaching materials will follow in the next term."""


def test_prose_that_does_not_repeat_like_a_log_is_left_alone() -> None:
    assert compress(PROSE) is None


def test_repeated_template_becomes_its_first_line_with_count_and_last_time() -> None:
    out = compress(service_log(3000, extra={1500: ["2024-05-01 10:25:00,000 WARN disk slow"]}))
    assert out is not None
    first = out.split("\n")[1]
    assert first.startswith("2024-05-01 10:00:00,000 INFO  [worker-0] request id=0")
    assert re.search(r" \[×3000(, last 2024-05-01 10:49:59,999)?\]$", first)
    assert len(out) < len(service_log(3000)) / 20


def test_result_is_lossy_with_one_marker_naming_the_original() -> None:
    text = service_log(2000)
    result = LogsCompressor().compress(text, CompressContext())
    assert result is not None
    assert result.kind == "logs"
    assert result.compressor == "logs"
    assert result.ccr_id == ccr_id(text)
    assert marker_ids(result.text) == [result.ccr_id]
    header = result.text.split("\n")[0]
    assert MARKER_PATTERN.fullmatch(header)
    assert re.search(r"\d+ of 2000 lines omitted", header)
    assert "most cut: INFO" in header


def test_error_and_its_whole_traceback_are_kept_with_context() -> None:
    text = service_log(3000, extra={1234: TRACEBACK})
    out = compress(text)
    assert out is not None
    kept = out.split("\n")
    start = kept.index(TRACEBACK[0])
    assert kept[start : start + len(TRACEBACK)] == TRACEBACK
    lines = text.split("\n")
    before, after = lines[lines.index(TRACEBACK[0]) - 1], lines[lines.index(TRACEBACK[-1]) + 1]
    assert kept[start - 1] == before
    assert kept[start + len(TRACEBACK)] == after


def test_first_and_last_lines_are_kept() -> None:
    text = service_log(3000)
    kept = body_lines(compress(text) or "")
    lines = text.split("\n")
    assert kept[0] == lines[0]
    assert kept[-1] == lines[-1]


def test_line_matching_the_query_is_kept_by_id_and_by_time() -> None:
    text = service_log(3000)
    lines = text.split("\n")
    by_id = compress(text, "what happened to request 72046?")
    assert by_id is not None
    assert next(line for line in lines if "id=72046 " in line) in by_id
    by_time = compress(text, "what was logged at 10:41:17?")
    assert by_time is not None
    assert next(line for line in lines if " 10:41:17," in line) in by_time


def test_first_and_last_in_the_query_pick_that_occurrence() -> None:
    text = service_log(
        3000,
        extra={
            i: [f"2024-05-01 10:00:00,000 INFO cache flushed {i}"] for i in range(100, 2900, 100)
        },
    )
    lines = text.split("\n")
    flushes = [line for line in lines if "cache flushed" in line]
    assert flushes[-1] in (compress(text, "when was the cache flushed last?") or "")
    assert flushes[0] in (compress(text, "when was the cache first flushed?") or "")


def test_a_rare_value_of_a_small_field_is_kept() -> None:
    odd = (
        "2024-05-01 10:33:20,000 INFO  [worker-1] request id=424242 "
        "path=/api/items/7 status=500 took=3ms"
    )
    out = compress(service_log(3000, extra={2000: [odd]}))
    assert out is not None
    assert odd in out


def test_every_kept_line_is_a_verbatim_line_of_the_original() -> None:
    text = service_log(
        3000, extra={1234: TRACEBACK, 2000: ["2024-05-01 10:33:20,000 WARN retry 3"]}
    )
    out = compress(text, "why did the handler fail?")
    assert out is not None
    assert all_verbatim(out, text)


def test_windows_line_endings_give_the_same_lines() -> None:
    text = service_log(2000, extra={700: TRACEBACK})
    unix = compress(text)
    windows = compress(text.replace("\n", "\r\n"))
    assert unix is not None and windows is not None
    assert body_lines(windows) == body_lines(unix)


def test_ansi_colours_are_stripped_from_kept_lines() -> None:
    text = service_log(1000).replace(" INFO ", " \x1b[32mINFO\x1b[0m ")
    out = compress(text)
    assert out is not None
    assert "\x1b" not in out
    assert "2024-05-01 10:00:00,000 INFO  [worker-0]" in out


def test_progress_bar_lines_are_not_kept() -> None:
    bars = [
        f"Downloading model.bin: {p:3d}%|{'█' * (p // 10):<10}| {p}M/100M [00:{p % 60:02d}<00:10]"
        for p in range(0, 100, 3)
    ]
    out = compress(service_log(1000, extra={500: bars}))
    assert out is not None
    assert sum("Downloading" in line for line in body_lines(out)) <= 3


def test_a_very_long_line_is_cut_with_a_marker() -> None:
    long_line = "2024-05-01 10:00:00,000 ERROR payload " + "x" * 50_000
    text = service_log(1000, extra={10: [long_line]})
    result = LogsCompressor().compress(text, CompressContext())
    assert result is not None
    cut = next(line for line in result.text.split("\n") if line.startswith(long_line[:40]))
    assert len(cut) < 3000
    assert re.search(r"\[headroom: \d+ characters omitted; headroom_retrieve id=hr_", cut)
    assert set(marker_ids(result.text)) == {result.ccr_id}


def test_a_ten_megabyte_log_is_compressed_to_its_budget() -> None:
    text = service_log(110_000, extra={i: TRACEBACK for i in range(5000, 110_000, 20_000)})
    assert len(text) > 10_000_000
    out = compress(text, "why did the handler fail?")
    assert out is not None
    assert len(out) < 60_000
    assert TRACEBACK[-1] in out


def test_keep_factor_and_budget_tokens_change_how_much_is_kept() -> None:
    names = ["".join(chr(97 + (i // 26**k) % 26) for k in range(3)) for i in range(900)]
    text = "\n".join(
        f"2024-01-01 00:{i // 60 % 60:02d}:{i % 60:02d} component {names[i % 900]} started"
        for i in range(9000)
    )
    default = compress(text) or ""
    more = compress(text, keep_factor=2.0) or ""
    tight = compress(text, budget_tokens=200) or ""
    assert len(tight) < len(default) < len(more)


def test_output_is_deterministic() -> None:
    text = service_log(3000, extra={1234: TRACEBACK})
    assert compress(text, "handler error") == compress(text, "handler error")


MESSAGES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x1b\x9b"),
    max_size=80,
)
LOG_LINES = st.builds(
    lambda n, level, message: f"2026-11-20 10:{n % 60:02d}:{n % 7:02d} {level} {message}",
    st.integers(0, 10_000),
    st.sampled_from(["INFO", "WARN", "ERROR", "DEBUG", "  at"]),
    st.one_of(MESSAGES, st.sampled_from(["ok", "retry 1", "retry 2", "state 7", "done"])),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(LOG_LINES, min_size=1, max_size=300), query=st.one_of(st.none(), MESSAGES))
def test_any_log_gives_verbatim_lines_under_one_marker_id(
    lines: list[str], query: str | None
) -> None:
    text = "\n".join(lines)
    result = LogsCompressor().compress(text, CompressContext(query=query))
    if result is None:
        return
    assert set(marker_ids(result.text)) == {result.ccr_id} == {ccr_id(text)}
    assert all_verbatim(result.text, text)


# ---------------------------------------------------------------- the real corpus

#: Measured on the corpus (bench: 93.95% saved, 34/34 needles).
CORPUS_SAVED_FLOOR = 0.92


def log_samples() -> list[Sample]:
    return corpus_samples("logs")


def test_corpus_logs_keep_every_needle_and_save_the_measured_share() -> None:
    assert saved_share_keeping_needles(log_samples(), compress) >= CORPUS_SAVED_FLOOR


def test_corpus_outputs_keep_original_lines_and_are_deterministic() -> None:
    for sample in log_samples():
        text = sample.read()
        query = sample.needles[0].question
        out = compress(text, query)
        assert out is not None and out == compress(text, query), sample.id
        assert all_verbatim(out, text), sample.id
