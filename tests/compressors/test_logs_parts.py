"""The parts of the logs compressor: templates, severity, records, query, signature."""

from __future__ import annotations

import pytest

from headroom.compressors.logs import signature
from headroom.compressors.logs.query import match_query
from headroom.compressors.logs.records import split_records
from headroom.compressors.logs.severity import ERROR, FATAL, NORMAL, WARNING, severity
from headroom.compressors.logs.templates import display, mine, timestamp_of
from headroom.compressors.logs.view import read_log
from tests.compressors.test_logs import TRACEBACK, service_log


def test_templates_mask_ids_numbers_and_dates_but_keep_words() -> None:
    found = mine(
        "[Sun Dec 04 17:43:08 2005] [error] mod_jk child init 1 -2\n"
        "[Mon Dec 05 07:57:02 2005] [error] mod_jk child init 1 -2\n"
        "[Mon Dec 05 07:57:02 2005] [error] jk2_init() Can't find child 5053 in scoreboard"
    )
    assert found.ids == [0, 0, 1]
    assert found.counts == [2, 1]
    assert display(found.keys[0]) == "[error] mod_jk child init <*> <*>"


def test_alignment_padding_does_not_split_a_template() -> None:
    found = mine("03-17 16:13:38.811  1702  2395 D Tag: x\n03-17 16:13:38.811  1702 12395 D Tag: x")
    assert found.ids == [0, 0]


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        ("2016-09-28 04:30:30, Info CBS Loaded", "2016-09-28 04:30:30"),
        ("[Sun Dec 04 04:47:44 2005] [notice] ok", "Sun Dec 04 04:47:44 2005"),
        ("Jun 14 15:16:01 combo sshd[19939]: x", "Jun 14 15:16:01"),
        ("03-17 16:13:38.811  1702  2395 D Tag: x", "03-17 16:13:38.811"),
        ("081109 203615 148 INFO dfs.DataNode: x", "081109 203615"),
        ("2015-07-29T17:41:44.747Z level=info msg=x", "2015-07-29T17:41:44.747Z"),
        ("no time here", None),
    ],
)
def test_timestamps_are_read_from_the_line_header(line: str, stamp: str | None) -> None:
    assert timestamp_of(line) == stamp


@pytest.mark.parametrize(
    ("template", "level"),
    [
        ("<*> fatal: Write failed: Connection reset by peer", FATAL),
        ("<*> ERROR [<*>] - Unexpected Exception:", ERROR),
        ("<*>|HiH_HiSyncControl|<*>|sendSyncFailedBroadcast", ERROR),
        ("<*> <*> <*> <*> E AndroidRuntime: boom", ERROR),
        ("<*> WARN [<*>] - Connection broken for id <*>", WARNING),
        ("<*> Temperature (<*>) exceeds warning threshold", WARNING),
        ("<*> INFO executor.Executor: Finished task <*>", NORMAL),
    ],
)
def test_severity_reads_levels_and_failure_words(template: str, level: int) -> None:
    assert severity(template) == level


def test_indented_and_unstamped_lines_continue_the_record_above() -> None:
    text = "\n".join(
        [*TRACEBACK, "2024-05-01 10:20:35,000 INFO next", "", "2024-05-01 10:20:36,000 INFO after"]
    )
    lines = text.split("\n")
    records = split_records(lines, mine(text))
    assert list(records.span(0)) == list(range(len(TRACEBACK)))
    assert len(records) == 4


def test_signature_names_the_kind_of_log_not_its_values() -> None:
    one = service_log(500)
    other = service_log(700).replace("request id", "request number")
    assert signature(one) == signature(service_log(900))
    assert signature(one) != signature(other)
    assert signature(one) is not None and signature(one).startswith("logs_")  # type: ignore[union-attr]
    assert signature("") is None
    assert signature("single line") is None


def test_numbers_in_the_query_match_whole_numbers_only() -> None:
    lines = [f"2024-01-01 00:00:{i % 60:02d} node-{i} heartbeat ok" for i in range(1, 80)]
    text = "\n".join(lines)
    view = read_log(text)
    match = match_query("what did node-5 say?", text.lower(), view.line_starts, view.record_of_line)
    assert list(match.scores) == [lines.index("2024-01-01 00:00:05 node-5 heartbeat ok")]


def test_query_words_find_other_spellings_of_themselves() -> None:
    lines = [
        "2024-01-01 00:00:01 sendSyncFailedBroadcast",
        "2024-01-01 00:00:02 Scheduling restart of crashed service",
        "2024-01-01 00:00:03 User unknown timed out after 900 seconds",
        "2024-01-01 00:00:04 all good",
    ]
    text = "\n".join(lines)
    view = read_log(text)
    for query, line in [
        ("sync-failed broadcast", 0),
        ("crashed service restarted", 1),
        ("timeout", 2),
    ]:
        match = match_query(query, text.lower(), view.line_starts, view.record_of_line)
        assert match.ranked()[0] == line, query
