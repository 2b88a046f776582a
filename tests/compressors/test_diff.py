"""The diff compressor: hand-made edge cases, properties, and the real corpus."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom.bench.corpus import Sample
from headroom.ccr import ccr_id, marker_ids
from headroom.compressors.diff import DiffCompressor
from headroom.compressors.diff.patch import FileDiff, TextRun, parse_patch
from headroom.compressors.registry import build_registry
from headroom.types import CompressContext
from tests.compressors.corpus import corpus_samples, saved_share_keeping_needles

MARKER = re.compile(r"^\[headroom: .*headroom_retrieve id=hr_[0-9a-f]{12}\]$")


def compress(
    text: str,
    query: str | None = None,
    *,
    budget_tokens: int | None = None,
    keep_factor: float = 1.0,
) -> str | None:
    ctx = CompressContext(query=query, budget_tokens=budget_tokens, keep_factor=keep_factor)
    result = DiffCompressor().compress(text, ctx)
    return None if result is None else result.text


def numbered(n: int, start: int = 1, prefix: str = " ") -> list[str]:
    return [f"{prefix}    value_{i} = {i}" for i in range(start, start + n)]


def file_diff(path: str, hunks: list[tuple[int, list[str]]], *, index: bool = True) -> str:
    """A git diff of one file; each hunk is (start line, body lines) with exact counts."""
    out = [f"diff --git a/{path} b/{path}"]
    if index:
        out.append("index 1234567..89abcde 100644")
    out += [f"--- a/{path}", f"+++ b/{path}"]
    for start, body in hunks:
        old = sum(1 for line in body if line[:1] in " -")
        new = sum(1 for line in body if line[:1] in " +")
        out.append(f"@@ -{start},{old} +{start},{new} @@ def func_{start}():")
        out += body
    return "\n".join(out) + "\n"


def one_change_hunk(start: int, name: str) -> tuple[int, list[str]]:
    body = [*numbered(3, start), f"-    {name} = 'old'", f"+    {name} = 'new'", *numbered(3, 90)]
    return start, body


# ---------------------------------------------------------------- small diffs


def test_small_diff_keeps_every_changed_line_and_one_line_of_context() -> None:
    body = [*numbered(3), "-    answer = 41", "+    answer = 42", *numbered(3, 4)]
    out = compress(file_diff("src/app.py", [(10, body)]))
    assert out is not None
    shown = out.splitlines()
    assert "-    answer = 41" in shown and "+    answer = 42" in shown
    assert "     value_3 = 3" in shown and "     value_4 = 4" in shown
    assert "     value_1 = 1" not in shown and "     value_6 = 6" not in shown
    assert "@@ -10,7 +10,7 @@ def func_10():" in shown


def test_top_marker_names_the_trimmed_context_and_header_lines() -> None:
    body = [*numbered(3), "-    answer = 41", "+    answer = 42", *numbered(3, 4)]
    text = file_diff("src/app.py", [(10, body)])
    out = compress(text)
    assert out is not None
    first = out.splitlines()[0]
    assert MARKER.match(first)
    assert "7 lines omitted" in first  # 4 context lines, index, ---, +++
    assert marker_ids(out) == [ccr_id(text)]


def test_long_inner_context_gap_splits_the_hunk_with_an_exact_header() -> None:
    body = [*numbered(1), "-    a = 1", "+    a = 2", *numbered(8, 2), "-    b = 1", "+    b = 2"]
    out = compress(file_diff("m.py", [(10, body)]))
    assert out is not None
    shown = out.splitlines()
    # value_1 is old/new line 10, a is 11, value_2..9 are 12..19, b is 20.
    assert "@@ -19,2 +19,2 @@" in shown
    assert shown[shown.index("@@ -19,2 +19,2 @@") + 1] == "     value_9 = 9"
    assert "     value_5 = 5" not in shown


def test_short_inner_context_gap_is_kept_whole() -> None:
    body = [*numbered(1), "-    a = 1", "+    a = 2", *numbered(4, 2), "-    b = 1", "+    b = 2"]
    out = compress(file_diff("m.py", [(10, body)]) + "\n".join(numbered(0)))
    assert out is not None
    assert all(line in out.splitlines() for line in numbered(4, 2))
    assert out.count("@@") == 2  # only the original header


def test_no_newline_note_stays_with_its_line() -> None:
    body = [*numbered(2), "-    last = 1", "+    last = 2", "\\ No newline at end of file"]
    out = compress(file_diff("m.py", [(1, body)]))
    assert out is not None
    assert out.rstrip("\n").endswith("+    last = 2\n\\ No newline at end of file")


# ---------------------------------------------------------------- file headers


def test_new_file_keeps_its_mode_line_and_drops_dev_null() -> None:
    text = (
        "diff --git a/new.txt b/new.txt\nnew file mode 100644\nindex 0000000..1111111\n"
        "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+hello\n+world\n"
    )
    out = compress(text)
    assert out is not None
    assert "new file mode 100644" in out and "/dev/null" not in out
    assert "+hello\n+world" in out


def test_plain_diff_without_a_git_line_keeps_its_path_lines() -> None:
    text = (
        "--- foo.c.orig\t2020-01-01\n+++ foo.c\t2020-01-02\n@@ -1,7 +1,7 @@\n"
        + "\n".join([*numbered(3), "-int x = 1;", "+int x = 2;", *numbered(3, 4)])
        + "\n"
    )
    out = compress(text)
    assert out is not None
    assert "--- foo.c.orig\t2020-01-01" in out and "+++ foo.c\t2020-01-02" in out


def test_rename_only_change_is_summarised_by_its_diff_line_and_similarity() -> None:
    rename = (
        "diff --git a/old/name.py b/new/name.py\nsimilarity index 100%\n"
        "rename from old/name.py\nrename to new/name.py\n"
    )
    body = [*numbered(3), "-    x = 1", "+    x = 2", *numbered(3, 4)]
    out = compress(rename + file_diff("other.py", [(5, body)]))
    assert out is not None
    assert "diff --git a/old/name.py b/new/name.py\nsimilarity index 100%\n" in out
    assert "rename from" not in out and "rename to" not in out


def test_mode_only_change_keeps_its_mode_lines() -> None:
    mode = "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    body = [*numbered(3), "-    x = 1", "+    x = 2", *numbered(3, 4)]
    out = compress(mode + file_diff("other.py", [(5, body)]))
    assert out is not None
    assert mode in out


# ---------------------------------------------------------------- machine-written files


def lockfile(hunks: int) -> str:
    return file_diff(
        "Cargo.lock",
        [
            (20 * i + 1, [' name = "dep"', f'-version = "1.{i}"', f'+version = "2.{i}"'])
            for i in range(hunks)
        ],
    )


def test_lockfile_collapses_into_one_stat_marker() -> None:
    body = [*numbered(3), "-    x = 1", "+    x = 2", *numbered(3, 4)]
    out = compress(lockfile(12) + file_diff("src/main.rs", [(5, body)]))
    assert out is not None
    assert "diff --git a/Cargo.lock b/Cargo.lock" in out
    assert "12 of 12 hunks omitted (lockfile, +12 -12 lines)" in out
    assert 'version = "2.3"' not in out
    assert "+    x = 2" in out


def test_lockfile_hunk_the_query_names_is_shown() -> None:
    text = lockfile(12).replace('+version = "2.7"', '+version = "2.7" # serde_json')
    out = compress(text, "which serde_json version is locked?")
    assert out is not None
    assert '+version = "2.7" # serde_json' in out
    assert "11 of 12 hunks omitted (lockfile" in out


def test_file_with_a_minified_line_collapses() -> None:
    line = "+" + "var a=1;" * 300
    out = compress(file_diff("static/app.js", [(1, [" x", "-old", line])]))
    assert out is not None
    assert line not in out
    assert "1 of 1 hunks omitted (minified" in out


# ---------------------------------------------------------------- large diffs


def large_diff(files: int = 40, hunks: int = 6) -> str:
    parts = []
    for f in range(files):
        parts.append(
            file_diff(
                f"pkg/module_{f}.py",
                [one_change_hunk(100 * h + 1, f"setting_{f}_{h}") for h in range(hunks)],
            )
        )
    return "".join(parts)


def test_large_diff_shows_the_hunks_the_query_names() -> None:
    out = compress(large_diff(), "what happened to setting_33_4?")
    assert out is not None
    assert "-    setting_33_4 = 'old'\n+    setting_33_4 = 'new'" in out


def test_every_left_out_hunk_keeps_its_header_and_counts_behind_a_marker() -> None:
    text = large_diff()
    out = compress(text, "what happened to setting_33_4?", budget_tokens=200)
    assert out is not None
    headers = [line for line in text.splitlines() if line.startswith("@@")]
    shown = out.splitlines()
    summaries = [line for line in shown if line.endswith(" [+1 -1]")]
    assert len(summaries) > 100
    assert all(h in shown or f"{h} [+1 -1]" in shown for h in headers)
    full = [line for line in shown if line.startswith("@@") and not line.endswith("]")]
    assert len(summaries) + len(full) == len(headers)
    omitted = sum(int(m) for m in re.findall(r"\[headroom: (\d+) hunks? omitted", out))
    assert omitted == len(summaries)
    # each run of left-out hunks ends with a marker before anything shown in full
    for i, line in enumerate(shown[:-1]):
        if line.endswith("[+1 -1]") and not shown[i + 1].startswith(("@@", "diff --git")):
            assert MARKER.match(shown[i + 1])


def test_without_a_matching_query_whole_small_files_fill_the_budget() -> None:
    out = compress(large_diff(), None, budget_tokens=400)
    assert out is not None
    assert "-    setting_0_5 = 'old'" in out  # the first file is shown whole
    assert "-    setting_39_0 = 'old'" not in out


def test_budget_and_keep_factor_scale_what_is_kept() -> None:
    text = large_diff()
    small = compress(text, None, budget_tokens=400)
    wide = compress(text, None, budget_tokens=400, keep_factor=3.0)
    assert small is not None and wide is not None
    assert len(wide) > len(small)
    assert "     value_101 = 101" not in small and "     value_102 = 102" in wide


# ---------------------------------------------------------------- mails, formats, odd input


FORMAT_PATCH = """From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001
From: Jane Dev <jane@example.org>
Date: Sun, 28 Sep 2025 11:07:37 -0400
Subject: [PATCH] Fix the answer (#1234)

Long explanation of the change.
---
 src/app.py | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

{diff}--\x20
2.51.0
"""


def test_format_patch_mail_keeps_headers_message_diffstat_and_signature() -> None:
    body = [*numbered(3), "-    answer = 41", "+    answer = 42", *numbered(3, 4)]
    text = FORMAT_PATCH.format(diff=file_diff("src/app.py", [(10, body)]))
    out = compress(text)
    assert out is not None
    for line in text.splitlines()[:11]:
        assert line in out.splitlines()
    assert out.endswith("-- \n2.51.0\n")


def test_crlf_diff_keeps_crlf_line_endings() -> None:
    text = large_diff(files=30).replace("\n", "\r\n")
    out = compress(text, "setting_3_1", budget_tokens=300)
    assert out is not None
    assert "-    setting_3_1 = 'old'\r\n+    setting_3_1 = 'new'\r\n" in out
    assert all(line.endswith("\r") for line in out.split("\n")[:-1])


@pytest.mark.parametrize(
    "text", ["", "x", "\n", "hello world\nplain prose\n", "diff --git a/x b/x\n"]
)
def test_input_without_hunks_returns_none(text: str) -> None:
    assert compress(text, "anything") is None


def test_hunk_without_a_file_header_is_compressed() -> None:
    body = [*numbered(3), "-    answer = 41", "+    answer = 42", *numbered(3, 4)]
    text = "@@ -10,8 +10,8 @@\n" + "\n".join(body) + "\n"
    out = compress(text)
    assert out is not None
    assert "-    answer = 41\n+    answer = 42" in out and "value_1 " not in out


def test_lines_past_a_hunks_wrong_counts_are_kept_as_they_are() -> None:
    body = [*numbered(3), "-    answer = 41", "+    answer = 42", *numbered(3, 4)]
    text = file_diff("a.py", [(1, body)]).replace("@@ -1,7 +1,7 @@", "@@ -1,4 +1,4 @@")
    text += "+    extra = 1\n"
    out = compress(text)
    assert out is not None
    for line in [*numbered(3, 4), "+    extra = 1"]:
        assert line in out.splitlines()


def test_combined_diff_hunk_is_shown_whole() -> None:
    combined = (
        "diff --cc file.c\nindex 1111111,2222222..3333333\n--- a/file.c\n+++ b/file.c\n"
        "@@@ -1,5 -1,5 +1,5 @@@\n  one\n  two\n- three\n +three!\n++four\n  five\n  six\n"
    )
    body = [*numbered(3), "-    x = 1", "+    x = 2", *numbered(3, 4)]
    out = compress(combined + file_diff("other.c", [(5, body)]))
    assert out is not None
    assert "  one\n  two\n- three\n +three!\n++four\n  five\n  six\n" in out


def test_ansi_coloured_diff_is_read_after_stripping_colours() -> None:
    body = [*numbered(3), "-    answer = 41", "+    answer = 42", *numbered(3, 4)]
    plain = file_diff("src/app.py", [(10, body)])
    coloured = "\n".join(
        f"\x1b[31m{line}\x1b[m" if line.startswith("-") else line for line in plain.split("\n")
    )
    out = compress(coloured)
    assert out is not None
    assert "\x1b" not in out and "-    answer = 41" in out


def test_a_ten_megabyte_diff_is_compressed() -> None:
    text = large_diff(files=40, hunks=6) * 240
    assert len(text) > 10_000_000
    out = compress(text, "setting_7_2")
    assert out is not None
    assert len(out) < len(text) / 2


def test_very_long_lines_do_not_break_parsing() -> None:
    long_line = "+" + "x" * 2_000_000
    out = compress(file_diff("data.txt", [(1, [" a", "-b", long_line, " c"])]))
    assert out is not None
    assert "hunks omitted (minified" in out


def test_the_same_input_gives_the_same_output() -> None:
    text = large_diff()
    first = compress(text, "setting_12_3 setting_30_1")
    assert first == compress(text, "setting_12_3 setting_30_1")


def test_registered_for_the_diff_kind() -> None:
    registry = build_registry(raise_errors=True)
    assert isinstance(registry.for_kind("diff")[0], DiffCompressor)


# ---------------------------------------------------------------- properties

BODY_LINE = st.builds(
    lambda sign, text: sign + text,
    st.sampled_from([" ", " ", " ", "+", "-"]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
)
HUNK_BODIES = st.lists(st.lists(BODY_LINE, min_size=1, max_size=30), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hunks=HUNK_BODIES,
    query=st.one_of(st.none(), st.text(max_size=20)),
    budget=st.sampled_from([None, 20, 200]),
)
def test_every_changed_line_shown_is_verbatim_and_every_cut_is_marked(
    hunks: list[list[str]], query: str | None, budget: int | None
) -> None:
    text = file_diff("f.py", [(10 * i + 1, body) for i, body in enumerate(hunks)])
    result = DiffCompressor().compress(text, CompressContext(query=query, budget_tokens=budget))
    assert parse_back(text) == text.rstrip("\n").split("\n")
    if result is None:
        return
    originals = set(text.split("\n"))
    for line in result.text.split("\n"):
        assert line in originals or line.startswith("@@") or MARKER.match(line), line
    if result.ccr_id is not None:
        assert set(marker_ids(result.text)) == {ccr_id(text)}


def parse_back(text: str) -> list[str]:
    """The lines of a parsed diff, put back together in order."""
    lines: list[str] = []
    for segment in parse_patch(text.rstrip("\n").split("\n")):
        if isinstance(segment, TextRun):
            lines += segment.lines
        elif isinstance(segment, FileDiff):
            lines += [*segment.header, *segment.binary]
            for hunk in segment.hunks:
                lines += [hunk.header, *hunk.body]
    return lines


# ---------------------------------------------------------------- the real corpus

#: Measured floor on the corpus (bench: 65.8% saved, 31/31 needles).
CORPUS_SAVED_FLOOR = 0.60


def diff_samples() -> list[Sample]:
    return corpus_samples("diff")


def test_corpus_diffs_keep_every_needle_and_save_the_measured_share() -> None:
    assert saved_share_keeping_needles(diff_samples(), compress) >= CORPUS_SAVED_FLOOR


def test_corpus_diffs_parse_back_to_the_same_lines() -> None:
    for sample in diff_samples():
        text = sample.read()
        assert parse_back(text) == text.rstrip("\n").split("\n"), sample.id


def test_corpus_outputs_are_deterministic() -> None:
    for sample in diff_samples():
        text = sample.read()
        query = sample.needles[0].question
        assert compress(text, query) == compress(text, query), sample.id
