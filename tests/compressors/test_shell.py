"""The shell compressor: each family on hand-made output, edge cases, the real corpus."""

from __future__ import annotations

import re
import time

import pytest

from headroom.bench.corpus import Sample
from headroom.ccr import ccr_id, marker_ids
from headroom.compressors.registry import build_registry
from headroom.compressors.shell import ShellCompressor
from headroom.compressors.shell.screen import prepare
from headroom.compressors.shell.selection import Relevance
from headroom.tokens import get_counter
from headroom.types import CompressContext
from tests.compressors.corpus import corpus_samples

MARKER = re.compile(
    r"^\[headroom: (\d+) (?:of \d+ )?lines? omitted.*headroom_retrieve id=hr_\w+\]$"
)


def compress(text: str, query: str | None = None, *, keep_factor: float = 1.0) -> str | None:
    ctx = CompressContext(query=query, kind="shell", keep_factor=keep_factor)
    result = ShellCompressor().compress(text, ctx)
    return None if result is None else result.text


def shown(out: str | None) -> list[str]:
    """The kept lines of an output, markers left out."""
    assert out is not None
    return [line for line in out.splitlines() if not MARKER.match(line)]


def assert_faithful(text: str, out: str | None) -> None:
    """Kept lines are original lines in order; markers name the original and count every cut."""
    assert out is not None
    original = [line.rstrip() for line in prepare(text).lines]
    missing, position = 0, 0
    for line in shown(out):
        while original[position] != line:
            missing += bool(original[position].strip())
            position += 1
        position += 1
    missing += sum(1 for line in original[position:] if line.strip())
    announced = sum(int(m.group(1)) for m in map(MARKER.match, out.splitlines()) if m)
    assert announced >= missing
    assert set(marker_ids(out)) == {ccr_id(text)}


GO_TEXT = """\
=== RUN   TestAdd
--- PASS: TestAdd (0.00s)
=== RUN   TestLog
    math_test.go:20: computing
--- PASS: TestLog (0.00s)
=== RUN   TestDiv
    math_test.go:31: want 3, got 2
--- FAIL: TestDiv (0.00s)
=== RUN   TestSkip
    math_test.go:40: needs network
--- SKIP: TestSkip (0.00s)
FAIL
FAIL\texample.com/calc\t0.004s
?   \texample.com/calc/cmd\t[no test files]
ok  \texample.com/calc/util\t0.002s
"""


def go_json(*events: tuple[str, str, str]) -> str:
    """test2json lines from (action, test, output) triples."""
    lines = []
    for n, (action, test, output) in enumerate(events):
        fields = [f'"Time":"2024-01-01T00:00:{n:02d}Z"', f'"Action":"{action}"', '"Package":"ex/p"']
        if test:
            fields.append(f'"Test":"{test}"')
        if output:
            fields.append(f'"Output":"{output}\\n"')
        lines.append("{" + ",".join(fields) + "}")
    return "\n".join(lines) + "\n"


def test_go_test_keeps_the_failing_test_its_log_and_the_package_line() -> None:
    out = compress(GO_TEXT)
    lines = shown(out)
    assert "    math_test.go:31: want 3, got 2" in lines
    assert "--- FAIL: TestDiv (0.00s)" in lines
    assert "FAIL\texample.com/calc\t0.004s" in lines
    assert "ok  \texample.com/calc/util\t0.002s" in lines
    assert not any("TestAdd" in line or "computing" in line for line in lines)
    assert "2 passing tests" in out and "1 skipped test" in out and "1 package without tests" in out
    assert_faithful(GO_TEXT, out)


def test_go_test_query_naming_a_passing_test_keeps_its_output() -> None:
    lines = shown(compress(GO_TEXT, "what did TestLog print?"))
    assert "    math_test.go:20: computing" in lines
    assert "=== RUN   TestLog" not in lines


def test_go_runner_pass_lines_go_but_a_failing_tests_own_log_stays() -> None:
    text = "\n".join(
        [f"PASS calc.TestOk{n} (0.00s)" for n in range(4)]
        + ["=== RUN   TestBad", "    bad_test.go:3: step one ... ok", "--- FAIL: TestBad (0.00s)"]
        + ["FAIL calc.TestBad (0.00s)", "FAIL\texample.com/calc\t0.01s"]
    )
    out = compress(text)
    assert shown(out) == text.splitlines()[5:]
    assert "4 passing tests" in out


def test_go_test_json_keeps_failure_events_as_the_original_json_lines() -> None:
    text = go_json(
        ("run", "TestOk", ""),
        ("output", "TestOk", "--- PASS: TestOk (0.00s)"),
        ("pass", "TestOk", ""),
        ("run", "TestBad", ""),
        ("output", "TestBad", "=== RUN   TestBad"),
        ("output", "TestBad", "    bad_test.go:9: boom"),
        ("output", "TestBad", "--- FAIL: TestBad (0.00s)"),
        ("fail", "TestBad", ""),
        ("output", "", "FAIL\\tex/p\\t0.01s"),
        ("fail", "", ""),
    )
    out = compress(text)
    lines = shown(out)
    source = text.splitlines()
    assert lines == [source[5], source[6], source[8]]
    assert "1 passing test" in out
    assert_faithful(text, out)


def test_go_test_json_keeps_a_fail_event_when_nothing_else_records_the_failure() -> None:
    text = go_json(
        ("run", "TestQuiet", ""),
        ("fail", "TestQuiet", ""),
        *[("output", "TestOk", "--- PASS: TestOk (0.00s)")] * 3,
    )
    assert text.splitlines()[1] in shown(compress(text))


def test_go_panic_keeps_the_first_goroutine_and_user_frames_of_the_others() -> None:
    text = "\n".join(
        [
            "panic: runtime error: index out of range [3] with length 3",
            "",
            "goroutine 7 [running]:",
            "example.com/calc.Pick(...)",
            "\t/src/calc/pick.go:12 +0x1d",
            "testing.tRunner(0xc000007380, 0x5a2b30)",
            "\t/usr/local/go/src/testing/testing.go:1595 +0xff",
            "",
            "goroutine 1 [chan receive]:",
            "testing.(*T).Run(0xc0000071e0, {0x5a0b6d?, 0x4b7a45?}, 0x5a2b30)",
            "\t/usr/local/go/src/testing/testing.go:1648 +0x3ad",
            "example.com/calc.TestMain(0xc000100000)",
            "\t/src/calc/main_test.go:8 +0x25",
            "FAIL\texample.com/calc\t0.010s",
        ]
    )
    lines = shown(compress(text))
    assert "\t/usr/local/go/src/testing/testing.go:1595 +0xff" in lines  # first goroutine
    assert "goroutine 1 [chan receive]:" in lines
    assert "\t/src/calc/main_test.go:8 +0x25" in lines
    assert "\t/usr/local/go/src/testing/testing.go:1648 +0x3ad" not in lines


def clippy(message: str, path: str, line: int, source: str, *, first: bool = False) -> str:
    out = [f"error: {message}", f"  --> {path}:{line}:5", "   |", f"LL |     {source}", "   |"]
    if first:
        out += ["   = note: `-D clippy::needless-return` implied by `-D warnings`"]
    return "\n".join(out) + "\n"


CLIPPY = (
    clippy("unneeded `return` statement", "src/a.rs", 10, "return 1;", first=True)
    + "\n"
    + "\n".join(clippy("unneeded `return` statement", "src/a.rs", n, "return 2;") for n in (20, 30))
    + "\n"
    + clippy("casting `i64` to `i32` may truncate the value", "src/b.rs", 5, "x as i32;")
    + "\n"
    + clippy("casting `u64` to `u8` may truncate the value", "src/b.rs", 9, "y as u8;")
    + "\nerror: aborting due to 5 previous errors\n"
)


def test_repeated_lint_keeps_its_first_occurrence_whole_and_the_locations_of_the_rest() -> None:
    out = compress(CLIPPY)
    lines = shown(out)
    assert "   = note: `-D clippy::needless-return` implied by `-D warnings`" in lines
    assert lines.count("error: unneeded `return` statement") == 1
    assert "  --> src/a.rs:20:5" in lines and "  --> src/a.rs:30:5" in lines
    assert "LL |     return 2;" not in lines
    assert "2 repeats of the message above" in out
    assert lines[-1] == "error: aborting due to 5 previous errors"
    assert_faithful(CLIPPY, out)


def test_a_lint_with_other_names_in_quotes_keeps_its_own_message_line() -> None:
    lines = shown(compress(CLIPPY))
    assert "error: casting `u64` to `u8` may truncate the value" in lines
    assert "  --> src/b.rs:9:5" in lines
    assert "LL |     y as u8;" not in lines


def test_a_diagnostic_the_query_names_is_kept_whole() -> None:
    lines = shown(compress(CLIPPY, "where is the u64 to u8 cast?"))
    assert "LL |     y as u8;" in lines


def test_coded_compiler_errors_are_kept_whole_more_often_than_lints() -> None:
    text = "".join(
        clippy("mismatched types", "src/c.rs", n, f"let v{n}: u8 = s;").replace(
            "error:", "error[E0308]:"
        )
        + "\n"
        for n in range(1, 6)
    )
    lines = shown(compress(text))
    assert [n for n in range(1, 6) if f"LL |     let v{n}: u8 = s;" in lines] == [1, 2, 3]
    assert "  --> src/c.rs:5:5" in lines


def pytest_report(name: str, message: str, line: int) -> list[str]:
    return [
        f"____________________ {name} ____________________",
        "",
        "    def test_it():",
        "        value = compute()",
        f">       assert value == {line}",
        f"E       AssertionError: {message}",
        "E         extra detail one",
        "E         extra detail two",
        "",
        f"tests/test_calc.py:{line}: AssertionError",
    ]


PYTEST = "\n".join(
    [
        "============================= test session starts ==============================",
        "collected 9 items",
        "",
        "tests/test_calc.py FFFFFFFF.                                               [100%]",
        "",
        "=================================== FAILURES ===================================",
        *[line for n in range(8) for line in pytest_report(f"test_case_{n}", f"msg {n}", 10 + n)],
        "=========================== short test summary info ============================",
        *[f"FAILED tests/test_calc.py::test_case_{n} - AssertionError: msg {n}" for n in range(8)],
        "========================= 8 failed, 1 passed in 0.12s ==========================",
    ]
)


def test_pytest_keeps_the_first_reports_whole_and_condenses_the_rest() -> None:
    out = compress(PYTEST)
    lines = shown(out)
    assert lines.count("        value = compute()") == 3
    assert "E       AssertionError: msg 7" in lines and "E         extra detail one" in lines
    assert lines.count("E         extra detail two") == 3  # only the whole reports
    assert ">       assert value == 17" in lines
    assert "tests/test_calc.py:17: AssertionError" in lines
    assert "5 failure tracebacks" in out
    assert "FAILED tests/test_calc.py::test_case_7 - AssertionError: msg 7" in lines
    assert lines[-1].startswith("=========================") and "8 failed, 1 passed" in lines[-1]
    assert_faithful(PYTEST, out)


def test_pytest_report_the_query_names_is_kept_whole() -> None:
    lines = shown(compress(PYTEST, "why did test_case_6 fail?"))
    assert lines.count("        value = compute()") == 4
    assert "E         extra detail two" in lines[lines.index(">       assert value == 16") :]


def test_pytest_output_pasted_with_an_indent_is_still_read() -> None:
    text = "Some docs.\n\n" + "\n".join(
        "    " + line if line else "" for line in PYTEST.split("\n")
    )
    lines = shown(compress(text))
    assert lines.count("            value = compute()") == 3


def test_pytest_passed_lines_of_the_short_summary_are_counted_not_shown() -> None:
    text = PYTEST.replace(
        "=========================== short test summary info ============================",
        "=========================== short test summary info ============================\n"
        + "\n".join(f"PASSED tests/test_calc.py::test_ok_{n}" for n in range(4)),
    )
    out = compress(text)
    assert not any(line.startswith("PASSED") for line in shown(out))
    assert "4 passing tests" in out


JEST = """\
PASS src/format.test.js
  ✓ formats dates (3 ms)
  ✓ formats numbers (1 ms)
FAIL src/total.test.js
  ✓ sums items (2 ms)
  ✕ applies discount (5 ms)

  ● total › applies discount

    Expected: 90
    Received: 100

      at Object.toBe (src/total.test.js:14:45)

Tests:       1 failed, 3 passed, 4 total
"""


def test_jest_drops_passing_tests_and_keeps_the_failure_and_summary() -> None:
    out = compress(JEST)
    lines = shown(out)
    assert "  ✕ applies discount (5 ms)" in lines and "    Received: 100" in lines
    assert "Tests:       1 failed, 3 passed, 4 total" in lines
    assert not any("✓" in line for line in lines)
    assert_faithful(JEST, out)


def test_cargo_test_and_unittest_pass_lines_are_cut_and_counted() -> None:
    text = "\n".join(
        [f"test mod::t{n} ... ok" for n in range(6)]
        + ["test mod::bad ... FAILED", "test result: FAILED. 6 passed; 1 failed; 0 ignored"]
        + [f"test_{n} (tests.T) ... ok" for n in range(4)]
        + ["Ran 11 tests in 0.1s", "FAILED (failures=1)"]
    )
    out = compress(text)
    assert shown(out) == [
        "test mod::bad ... FAILED",
        "test result: FAILED. 6 passed; 1 failed; 0 ignored",
        "Ran 11 tests in 0.1s",
        "FAILED (failures=1)",
    ]
    assert "10 passing tests" in out


def test_install_and_build_progress_is_cut_but_errors_and_failing_steps_stay() -> None:
    text = "\n".join(
        [f"Collecting pkg{n}" for n in range(5)]
        + ["  Downloading pkg-1.0.tar.gz (7.3 MB)", "Requirement already satisfied: six in ./venv"]
        + ["ERROR: Could not build wheels for numpy", "   Compiling serde v1.0.0"]
        + ["Processing ./vendor/lib failed: no setup.py"]
    )
    assert shown(compress(text)) == [
        "ERROR: Could not build wheels for numpy",
        "Processing ./vendor/lib failed: no setup.py",
    ]


def test_repeated_compiler_warnings_collapse_with_their_source_excerpts() -> None:
    warnings = [
        line
        for n in range(6)
        for line in (
            f"util.c:{n + 10}:9: warning: unused variable 'v{n}' [-Wunused-variable]",
            f"   {n + 10} |     int v{n};",
            "      |         ^~",
        )
    ]
    text = "\n".join([*warnings, "util.c:51:5: error: implicit declaration of function 'f'"])
    out = compress(text)
    lines = shown(out)
    assert [line for line in lines if "warning" in line] == [warnings[0], warnings[3], warnings[6]]
    assert "   15 |     int v5;" not in lines
    assert lines[-1] == "util.c:51:5: error: implicit declaration of function 'f'"
    assert "3 repeated warnings" in out


def test_a_redrawn_progress_display_keeps_only_its_final_screen() -> None:
    frames = [
        f"\x1b[2A\x1b[0K  pkg/a {'·' * n}\x1b[0K\n\x1b[0K {n} tests, 0 failures\n"
        for n in range(1, 40)
    ]
    text = "\x1b[?25l\n\n" + "".join(frames)
    out = compress(text)
    assert out is not None
    assert out.splitlines()[1:] == ["  pkg/a " + "·" * 39, " 39 tests, 0 failures"]
    assert "progress redrawn in place" in out.splitlines()[0]
    assert marker_ids(out) == [ccr_id(text)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "ok  \texample.com/calc\t0.002s",
        "Client:\n Context:    default\n Debug Mode: false\nServer:\n Containers: 0\n",
        "The error in this design is that we fail to test it, and the build breaks.\n" * 4,
    ],
)
def test_text_with_nothing_to_cut_is_left_to_the_lossless_cleaner(text: str) -> None:
    assert compress(text) is None


def test_windows_line_endings_are_read_like_unix_ones() -> None:
    crlf = compress(GO_TEXT.replace("\n", "\r\n"))
    assert crlf is not None
    assert crlf.replace(ccr_id(GO_TEXT.replace("\n", "\r\n")), "id") == str(
        compress(GO_TEXT)
    ).replace(ccr_id(GO_TEXT), "id")


def test_a_very_long_line_is_kept_whole() -> None:
    long_line = "    math_test.go:31: " + "x" * 200_000
    out = compress(GO_TEXT.replace("    math_test.go:31: want 3, got 2", long_line))
    assert long_line in shown(out)


def test_a_ten_megabyte_log_is_compressed_in_linear_time() -> None:
    text = GO_TEXT * (10_000_000 // len(GO_TEXT))
    start = time.perf_counter()
    out = compress(text)
    assert time.perf_counter() - start < 30
    assert out is not None and len(out) < len(text) / 2


def test_keep_factor_scales_how_many_reports_stay_whole() -> None:
    assert shown(compress(PYTEST, keep_factor=0.34)).count("        value = compute()") == 1
    assert shown(compress(PYTEST, keep_factor=1.0)).count("        value = compute()") == 3


def test_the_same_input_gives_byte_identical_output() -> None:
    for text in (GO_TEXT, CLIPPY, PYTEST, JEST):
        assert compress(text, "why?") == compress(text, "why?")


def test_registered_for_the_shell_kind_ahead_of_the_lossless_cleaner() -> None:
    names = [c.name for c in build_registry().for_kind("shell")]
    assert names.index("shell") < names.index("lossless")


@pytest.mark.parametrize(
    ("query", "texts", "expected"),
    [
        ("which tests were skipped?", ["--- SKIP: TestA", "--- PASS: TestB"] * 1 + ["x"] * 6, {0}),
        ("what compared 11 < 5?", ["assert 11 < 5", "at 0xdeadbeef0011", *["y"] * 6], {0}),
        ("why did the run fail?", ["Full output truncated", *["z"] * 7], set()),
        ("which tests failed?", ["--- FAIL: TestA", *["w"] * 7], set()),
        ("where is cast", ["cast a", "cast b", "cast c", *["v"] * 5], set()),
    ],
)
def test_relevance_matches_words_not_fragments_and_only_rare_ones(
    query: str, texts: list[str], expected: set[int]
) -> None:
    assert Relevance(query).select(texts) == expected


# ---------------------------------------------------------------- the real corpus

#: Measured on the corpus with the kind given as "shell" (77.9% saved, 31/31 needles).
CORPUS_SAVED_FLOOR = 0.75


def shell_samples() -> list[Sample]:
    return corpus_samples("shell")


def test_corpus_shell_output_keeps_every_needle_and_saves_the_measured_share() -> None:
    counter = get_counter()
    before = after = 0.0
    for sample in shell_samples():
        text = sample.read()
        sizes = []
        for needle in sample.needles:
            out = compress(text, needle.question) or text
            missing = [m for m in needle.must_contain if m not in out]
            assert not missing, f"{sample.id}: {needle.question!r} lost {missing}"
            sizes.append(counter.count(out))
        before += counter.count(text)
        after += sum(sizes) / len(sizes)
    assert 1 - after / before >= CORPUS_SAVED_FLOOR


def test_corpus_outputs_are_faithful_and_deterministic() -> None:
    for sample in shell_samples():
        text = sample.read()
        query = sample.needles[0].question
        out = compress(text, query)
        assert out == compress(text, query), sample.id
        if out is not None and not prepare(text).redrawn:
            assert_faithful(text, out)
