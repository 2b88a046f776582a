from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from headroom.bench.corpus import Needle
from headroom.bench.replay import (
    ReplayOptions,
    compare,
    rendered_prefix,
    run_replay,
    turn_times,
    with_client_cache,
)
from headroom.bench.traces import Session, Turn, load_traces, swe_agent_turns
from tests.conftest import SHARED, require_corpus

ROW_KEYS = [
    "session",
    "arm",
    "turns",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "uncached_tokens",
    "input_dollars",
    "hit_ratio",
    "needles_total",
    "needles_kept",
]
ANCHOR_PYTHON = Path("/work/anchor-venv/bin/python")


def _session(steps: int = 6, sid: str = "s1") -> Session:
    """A SWE-agent-like session big enough to cache (a long system prompt)."""
    system = " ".join(f"rule{i}" for i in range(1500))
    trajectory = [
        {"thought": f"step {i}", "action": f"cat f{i}.txt\n", "observation": f"line {i}\n" * 40}
        for i in range(steps)
    ]
    history = [{"role": "system", "content": system}, {"role": "user", "content": "Fix it."}]
    turns = swe_agent_turns({"history": history, "trajectory": trajectory})
    return Session(sid, "claude-sonnet-4-5", tuple(turns), (Needle("q", ("line 5",)),))


def _user_marks(body: dict[str, Any]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, m in enumerate(body["messages"])
        for j, b in enumerate(m["content"])
        if "cache_control" in b
    ]


def test_last2_marks_the_last_block_of_the_last_two_user_messages() -> None:
    body = _session().turns[-1].body
    marked = with_client_cache(body, "last2")
    assert _user_marks(marked) == [(10, 0), (12, 0)]
    assert marked["messages"][12]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert _user_marks(body) == []  # the recorded request is not touched
    assert with_client_cache(body, "none") is body


def test_turns_without_timestamps_are_a_fixed_gap_apart() -> None:
    session = _session(3)
    times = turn_times(session, 45.0)
    assert [b - a for a, b in itertools.pairwise(times)] == [45.0, 45.0]
    timed = Session("t", "m", (Turn({}, 100.0), Turn({}, None), Turn({}, 400.0)))
    assert turn_times(timed, 30.0) == [100.0, 130.0, 400.0]


def test_the_rendered_prefix_ignores_cache_control_and_the_dynamic_block() -> None:
    body = _session(2).turns[-1].body
    assert rendered_prefix(with_client_cache(body, "last2")) == rendered_prefix(body)
    dynamic = {**body, "system": [*body["system"], {"type": "text", "text": "Date: today"}]}
    assert rendered_prefix(dynamic, dynamic_system=True) == rendered_prefix(body)
    assert rendered_prefix(dynamic) != rendered_prefix(body)


def test_rows_have_the_specified_keys_and_a_total_per_arm() -> None:
    sessions = [_session(6, "a"), _session(4, "b")]
    report = run_replay(sessions, ReplayOptions(arms=("none",), client_cache="last2"))
    rows = report.rows()
    assert [list(r)[: len(ROW_KEYS)] for r in rows] == [ROW_KEYS] * 3
    assert [(r["session"], r["arm"]) for r in rows] == [
        ("a", "none"),
        ("b", "none"),
        ("TOTAL", "none"),
    ]
    total = rows[-1]
    for key in ("turns", "input_tokens", "cache_read_tokens", "cache_write_tokens"):
        assert total[key] == rows[0][key] + rows[1][key]
    assert rows[0]["needles_total"] == rows[0]["needles_kept"] == 1
    assert rows[1]["needles_kept"] == 0  # session b never printed "line 5"
    assert total["client_cache"] == "last2"
    assert 0.5 < total["hit_ratio"] < 1  # the client's own breakpoints make later turns hit


def test_without_client_breakpoints_arm_none_caches_nothing() -> None:
    report = run_replay([_session()], ReplayOptions(arms=("none",), client_cache="none"))
    (result,) = report.results
    assert result.bill.cache_read_tokens == result.bill.cache_write_tokens == 0
    assert result.bill.uncached_tokens == result.bill.input_tokens
    assert report.rows()[-1]["client_cache"] == "none"


def test_a_missing_anchor_venv_is_reported_not_dropped(tmp_path: Path) -> None:
    options = ReplayOptions(arms=("none", "anchor"), anchor_python=tmp_path / "nope" / "python")
    report = run_replay([_session(2)], options)
    (arm, reason) = report.unavailable[0]
    assert arm == "anchor" and "no anchor python" in reason
    last = report.rows()[-1]
    assert (last["session"], last["arm"], last["input_dollars"]) == ("TOTAL", "anchor", None)
    assert "no anchor python" in str(last["unavailable"])
    assert compare(report).anchor_saving_pct is None


FAKE_ANCHOR = """
import json, sys
for line in sys.stdin:
    case = json.loads(line)
    messages = case["messages"]
    for message in messages:
        for block in message["content"]:
            if block.get("type") == "tool_result":
                block["content"] = block["content"][:4]
    print(json.dumps({"session": case["session"], "turn": case["turn"],
                      "messages": messages, "error": None}), flush=True)
"""


def test_the_anchor_arm_bills_what_the_anchor_runner_returns(tmp_path: Path) -> None:
    script = tmp_path / "fake_anchor.py"
    script.write_text(FAKE_ANCHOR)
    options = ReplayOptions(
        arms=("none", "anchor"), anchor_python=Path(sys.executable), anchor_script=script
    )
    steps: list[str] = []
    report = run_replay([_session()], options, on_step=steps.append)
    none, anchor = report.results
    assert anchor.arm == "anchor" and not report.unavailable
    assert anchor.bill.input_tokens < none.bill.input_tokens
    assert anchor.needles_kept == 0  # the cut tool results lost "line 5"
    assert len(steps) == 3 * len(_session().turns)  # none, anchor compress, anchor bill
    comparison = compare(report)
    assert comparison.anchor_saving_pct is not None and comparison.anchor_saving_pct > 0


def test_a_failing_anchor_run_makes_the_arm_unavailable(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text("import sys\nsys.stderr.write('boom: no package\\n')\nsys.exit(3)\n")
    options = ReplayOptions(
        arms=("anchor",), anchor_python=Path(sys.executable), anchor_script=script
    )
    report = run_replay([_session(2)], options)
    assert report.results == ()
    assert "exit 3" in report.unavailable[0][1] and "boom" in report.unavailable[0][1]


def test_unknown_arms_and_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="arms must be among"):
        run_replay([_session(2)], ReplayOptions(arms=("nope",)))
    with pytest.raises(ValueError, match="client_cache"):
        run_replay([_session(2)], ReplayOptions(arms=("none",), client_cache="all"))


@pytest.mark.corpus
def test_headroom_replays_every_trace_with_a_stable_prefix() -> None:
    sessions = load_traces(require_corpus() / "agent_traces")
    report = run_replay(sessions, ReplayOptions(arms=("none", "headroom")))
    assert not report.unavailable
    by_arm = {arm: [r for r in report.results if r.arm == arm] for arm in ("none", "headroom")}
    assert [r.session for r in by_arm["headroom"]] == [s.id for s in sessions]
    unstable = [r.session for r in by_arm["headroom"] if not r.prefix_stable]
    assert unstable == []
    assert all(r.errors == 0 and r.bill.invalid == 0 for r in report.results)
    assert all(r.needles_kept == r.needles_total for r in by_arm["none"])
    rows = report.rows()
    totals = [r for r in rows if r["session"] == "TOTAL"]
    assert [t["arm"] for t in totals] == ["none", "headroom"]
    assert all(list(r)[: len(ROW_KEYS)] == ROW_KEYS for r in rows)
    for total in totals:
        mine = [r for r in rows if r["arm"] == total["arm"] and r["session"] != "TOTAL"]
        assert total["input_tokens"] == sum(r["input_tokens"] for r in mine)
        assert total["turns"] == sum(len(s.turns) for s in sessions)


@pytest.mark.corpus
def test_headroom_bench_replay_prints_jsonl(_isolated_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "agent_traces"
    folder.mkdir()
    source = require_corpus() / "agent_traces" / "sweagent_ctf-flash.traj.json"
    (folder / source.name).write_bytes(source.read_bytes())
    env = {**os.environ, "HEADROOM_HOME": str(_isolated_home)}
    if (SHARED / "tiktoken").is_dir():
        env["TIKTOKEN_CACHE_DIR"] = str(SHARED / "tiktoken")
    command = [sys.executable, "-m", "headroom", "bench", "--replay", str(folder)]
    command += ["--arms", "none", "--format", "jsonl", "--gap", "400"]
    proc = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    rows = [orjson.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [(r["session"], r["arm"]) for r in rows] == [
        ("sweagent_ctf-flash", "none"),
        ("TOTAL", "none"),
    ]
    assert rows[0]["cache_read_tokens"] == 0  # 400 s apart, every 5-minute entry has expired


@pytest.mark.corpus
@pytest.mark.skipif(not ANCHOR_PYTHON.is_file(), reason="no anchor venv at /work/anchor-venv")
def test_the_published_headroom_runs_as_the_anchor_arm() -> None:
    sessions = [
        s
        for s in load_traces(require_corpus() / "agent_traces")
        if s.id in {"agent-sweagent-ctf-flash", "agent-openhands-rename"}
    ]
    options = ReplayOptions(arms=("anchor",), anchor_python=ANCHOR_PYTHON)
    report = run_replay(sessions, options)
    assert not report.unavailable
    assert [r.session for r in report.results] == [s.id for s in sessions]
    assert all(r.errors == 0 for r in report.results)


def test_an_arm_that_rewrites_history_is_not_prefix_stable(tmp_path: Path) -> None:
    script = tmp_path / "restless_anchor.py"
    script.write_text(
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    case = json.loads(line)\n"
        "    messages = case['messages']\n"
        "    messages[0]['content'][0]['text'] += ' (turn %d)' % case['turn']\n"
        "    print(json.dumps({'session': case['session'], 'turn': case['turn'],\n"
        "                      'messages': messages, 'error': None}), flush=True)\n"
    )
    options = ReplayOptions(
        arms=("none", "anchor"),
        client_cache="last2",
        anchor_python=Path(sys.executable),
        anchor_script=script,
    )
    none, anchor = run_replay([_session()], options).results
    assert none.prefix_stable and not anchor.prefix_stable
    assert anchor.bill.cache_read_tokens < none.bill.cache_read_tokens
