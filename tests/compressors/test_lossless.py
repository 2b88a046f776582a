"""The lossless cleaner: each step on its own, then the compressor as a whole."""

from __future__ import annotations

import json

import orjson
import pytest

from headroom.compressors.base import Compressor
from headroom.compressors.lossless import (
    LosslessCompressor,
    clean,
    collapse_repeated_lines,
    normalize_whitespace,
    repeat_marker,
    resolve_carriage_returns,
    strip_ansi,
)
from headroom.types import CompressContext
from tests.conftest import CORPUS

PYTHON_SNIPPET = (
    "class Cache:\n"
    "    def get(self, key):   \n"
    "\tif key in self.items:\t\n"
    "\t\treturn self.items[key]\n"
    "\n"
    "\n"
    "\n"
    "\n"
    "        return None  \n"
)


def compress(text: str, kind: str | None = None) -> str | None:
    result = LosslessCompressor().compress(text, CompressContext(kind=kind))
    return None if result is None else result.text


# ---------------------------------------------------------------- strip_ansi


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[1;31mFAIL\x1b[0m test_x", "FAIL test_x"),
        ("\x1b[?25l\x1b[5A\x1b[0Kline\x1b[K", "line"),
        ("\x1b]0;window title\x07prompt$", "prompt$"),
        ("\x1b]0;title\x1b\\after", "after"),
        ("see \x1b]8;;https://example.org\x1b\\the docs\x1b]8;;\x1b\\ now", "see the docs now"),
        ("\x1b(Bplain\x1b7saved\x1b8", "plainsaved"),
        ("\x9b32mgreen\x9b0m", "green"),
        ("dangling escape\x1b", "dangling escape"),
        ("no escapes here", "no escapes here"),
    ],
)
def test_strip_ansi_removes_every_kind_of_escape_sequence(raw: str, expected: str) -> None:
    assert strip_ansi(raw) == expected


# ---------------------------------------------------------------- carriage returns


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10%\r50%\r100%", "100%"),
        ("line one\r\nline two\r\n", "line one\nline two\n"),
        ("Downloading\r[=====     ]\r[==========] done\nnext", "[==========] done\nnext"),
        ("finished\r", "finished"),
        ("crlf with extra\r\r\n", "crlf with extra\n"),
        ("\r\r", ""),
        ("no carriage returns", "no carriage returns"),
    ],
)
def test_carriage_returns_keep_what_the_terminal_shows(raw: str, expected: str) -> None:
    assert resolve_carriage_returns(raw) == expected


# ---------------------------------------------------------------- whitespace


def test_trailing_whitespace_goes_but_indentation_stays() -> None:
    assert normalize_whitespace("a  \n\tb\t\n    c \n") == "a\n\tb\n    c\n"


def test_three_or_more_blank_lines_become_one_and_two_stay() -> None:
    assert normalize_whitespace("a\n\n\nb") == "a\n\n\nb"
    assert normalize_whitespace("a\n\n\n\nb") == "a\n\nb"
    assert normalize_whitespace("a\n  \n\t\n \n\n\nb") == "a\n\nb"


def test_final_newline_is_not_counted_as_a_blank_line() -> None:
    assert normalize_whitespace("a\n") == "a\n"
    assert normalize_whitespace("a\n\n\n\n") == "a\n\n"
    assert normalize_whitespace("") == ""


def test_unicode_spaces_are_content_not_trailing_whitespace() -> None:
    assert normalize_whitespace("price:\u00a0") == "price:\u00a0"


# ---------------------------------------------------------------- repeated lines


def test_three_identical_lines_fold_into_one_with_a_count() -> None:
    text = "start\nretrying...\nretrying...\nretrying...\nend"
    assert collapse_repeated_lines(text) == "start\nretrying... [×3]\nend"
    assert repeat_marker("retrying...", 3) == "retrying... [×3]"


def test_two_identical_lines_are_left_alone() -> None:
    assert collapse_repeated_lines("x\nx\ny") == "x\nx\ny"


def test_only_consecutive_exact_repeats_fold() -> None:
    text = "a\nb\na\nb\na\nb\n  c\nc\n  c"
    assert collapse_repeated_lines(text) == text


def test_blank_lines_are_never_folded_into_a_marker() -> None:
    assert collapse_repeated_lines("a\n\n\n\n\nb") == "a\n\n\n\n\nb"


def test_repeat_threshold_is_adjustable() -> None:
    assert collapse_repeated_lines("x\nx", min_repeats=2) == "x [×2]"


def test_folding_is_stable_when_a_marker_matches_its_neighbours() -> None:
    text = "x\nx\nx\nx [×3]\nx [×3]"
    once = collapse_repeated_lines(text)
    assert collapse_repeated_lines(once) == once


# ---------------------------------------------------------------- the compressor


def test_compressor_implements_the_protocol() -> None:
    compressor = LosslessCompressor()
    assert isinstance(compressor, Compressor)
    assert compressor.name == "lossless"
    assert compressor.kinds == ("*",)


def test_compressed_result_names_kind_and_compressor_and_is_not_lossy() -> None:
    result = LosslessCompressor().compress("ok  \n", CompressContext(kind="logs"))
    assert result is not None
    assert (result.text, result.kind, result.compressor, result.ccr_id) == (
        "ok\n",
        "logs",
        "lossless",
        None,
    )
    unknown = LosslessCompressor().compress("ok  \n", CompressContext())
    assert unknown is not None and unknown.kind == "text"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "already clean\n",
        "two\ntwo\n",
        "def f():\n    return 1\n",
        '{"a": [1, 2, 3]}',
    ],
)
def test_clean_text_gives_none(text: str) -> None:
    assert compress(text) is None


def test_whitespace_only_text_cleans_to_empty() -> None:
    assert compress(" \t \n\n\n\n  ") == ""


def test_python_keeps_its_indentation_and_still_compiles() -> None:
    out = compress(PYTHON_SNIPPET, kind="code")
    assert out is not None
    lines = out.split("\n")
    assert lines[1] == "    def get(self, key):"
    assert lines[2] == "\tif key in self.items:"
    assert lines[3] == "\t\treturn self.items[key]"
    assert "\n\n\n" not in out
    compile(out.expandtabs(8), "<snippet>", "exec")


def test_code_keeps_repeated_lines_so_the_program_is_unchanged() -> None:
    code = "def tick():\n    step()\n    step()\n    step()\n"
    assert compress(code, kind="code") is None
    assert compress(code) is None  # detected as code


def test_json_gets_whitespace_only_and_still_parses() -> None:
    data = json.dumps({"zeros": [0, 0, 0, 0], "name": "x"}, indent=2)
    messy = data.replace(",\n", ",   \n")
    out = compress(messy)
    assert out == data
    assert orjson.loads(out) == {"zeros": [0, 0, 0, 0], "name": "x"}


def test_diff_keeps_trailing_whitespace_and_repeated_lines() -> None:
    diff = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-keep  \n+keep\n+\n+\n+\n"
    assert compress(diff, kind="diff") is None
    assert compress("\x1b[32m" + diff + "\x1b[0m", kind="diff") == diff


def test_terminal_output_gets_every_step() -> None:
    raw = (
        "\x1b[1mrunning\x1b[0m   \r\n"
        "progress 10%\rprogress 60%\rprogress 100%\n"
        "\n\n\n\n"
        "warn: slow disk\nwarn: slow disk\nwarn: slow disk\nwarn: slow disk\n"
        "done\n"
    )
    out = compress(raw, kind="shell")
    assert out == "running\nprogress 100%\n\nwarn: slow disk [×4]\ndone\n"


@pytest.mark.parametrize(
    "text",
    [
        PYTHON_SNIPPET,
        "\x1b[31mx\x1b[0m\nx\nx\nx\r\n",
        "a\r\rb\n\n\n\n\n  \t\nz z z\nz z z\nz z z\n",
        "x\nx\nx\nx [×3]\nx [×3]\n",
        "\x00\x01 binary \x00\n\x00\x01 binary \x00\n\x00\x01 binary \x00\n",
        "log line\n" * 50 + "other\r\n" * 3,
    ],
)
def test_compressing_the_output_again_changes_nothing(text: str) -> None:
    once = compress(text)
    assert once is not None
    assert compress(once) is None


def test_very_long_lines_are_handled() -> None:
    line = "x" * 300_000
    assert compress(line) is None
    assert compress(line + "   ") == line
    assert compress(" " * 300_000 + "x") is None
    assert strip_ansi("\x1b[" * 100_000) == ""


def test_large_input_with_many_repeats_folds_completely() -> None:
    text = "".join(f"event {i // 50}\n" for i in range(10_000))
    out = compress(text, kind="logs")
    assert out is not None
    assert out.count("\n") == 200
    assert out.startswith("event 0 [×50]\nevent 1 [×50]\n")


def test_clean_detects_the_kind_when_none_is_given() -> None:
    jsonl = '{"a": 1}\n{"a": 1}\n{"a": 1}\n'
    assert clean(jsonl) == jsonl
    assert clean(jsonl, "text") == '{"a": 1} [×3]\n'


@pytest.mark.corpus
def test_cleaning_the_corpus_keeps_every_needle_and_is_stable() -> None:
    manifest = CORPUS / "manifest.jsonl"
    if not manifest.is_file():
        pytest.skip(f"corpus not found at {CORPUS} (needs ../shared/corpus)")
    for line in manifest.read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        text = (CORPUS / sample["path"]).read_text(encoding="utf-8")
        out = compress(text) or text
        for needle in sample["needles"]:
            for wanted in needle["must_contain"]:
                if wanted in text:
                    assert wanted in out, f"{sample['id']} lost {wanted!r}"
        assert compress(out) is None, f"{sample['id']} is not stable"
