from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from headroom.bench.corpus import CorpusError, decoded_strings, needle_kept
from headroom.bench.traces import (
    Session,
    load_traces,
    openhands_turns,
    seen_text,
    swe_agent_turns,
)
from tests.conftest import require_corpus

SWE_TRAJ: dict[str, Any] = {
    "history": [
        {"role": "system", "content": "You are SWE-agent."},
        {"role": "user", "content": "Here is a demonstration.", "is_demo": True},
        {"role": "user", "content": "Fix the bug in a.py"},
        {"role": "assistant", "content": "ls"},
    ],
    "trajectory": [
        {"thought": "Look first.", "action": "ls\n", "observation": "a.py"},
        {"thought": "", "action": "cat a.py\n", "observation": "print(1)"},
    ],
}


def _ts(second: int) -> str:
    return f"2025-01-27T22:45:{second:02d}.000000"


def _call(event_id: int, call_id: str, name: str, arguments: str, said: str) -> dict[str, Any]:
    message = {
        "content": said,
        "tool_calls": [{"id": call_id, "function": {"name": name, "arguments": arguments}}],
    }
    return {
        "function_name": name,
        "tool_call_id": call_id,
        "model_response": {"id": f"resp-{event_id}", "choices": [{"message": message}]},
    }


OPENHANDS_EVENTS: list[dict[str, Any]] = [
    {"id": 0, "source": "environment", "observation": "agent_state_changed", "timestamp": _ts(0)},
    {"id": 1, "source": "user", "action": "message", "args": {"content": "Rename a.py"},
     "timestamp": _ts(1)},
    {"id": 2, "source": "agent", "action": "run", "timestamp": _ts(3),
     "args": {"command": "mv a.py b.py", "thought": "Renaming."},
     "tool_call_metadata": _call(2, "toolu_1", "execute_bash", '{"command": "mv a.py b.py"}',
                                 "Renaming.")},
    {"id": 3, "source": "agent", "observation": "run", "cause": 2, "content": "",
     "timestamp": _ts(4), "message": "Command `mv a.py b.py` executed with exit code 0.",
     "tool_call_metadata": _call(2, "toolu_1", "execute_bash", "{}", "")},
    {"id": 4, "source": "agent", "action": "finish", "timestamp": _ts(9),
     "args": {"thought": "Renamed a.py to b.py."}, "message": "Renamed a.py to b.py.",
     "tool_call_metadata": _call(4, "toolu_2", "finish", "{}", "Renamed a.py to b.py.")},
]  # fmt: skip


def _blocks(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for m in body["messages"] for b in m["content"] if b.get("type") == kind]


def _assert_calls_answered(body: dict[str, Any]) -> None:
    """Every tool_use is answered in the next message, and every tool_result answers one."""
    messages = body["messages"]
    for index, message in enumerate(messages):
        uses = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
        results = [b["tool_use_id"] for b in message["content"] if b.get("type") == "tool_result"]
        if uses:
            assert message["role"] == "assistant"
            assert index + 1 < len(messages), "a tool_use without its tool_result"
            following = messages[index + 1]["content"]
            answered = [b.get("tool_use_id") for b in following if b.get("type") == "tool_result"]
            assert answered == uses
        if results:
            assert message["role"] == "user"
            before = messages[index - 1]["content"]
            assert results == [b["id"] for b in before if b.get("type") == "tool_use"]


def _assert_full_history(session: Session) -> None:
    """Each request starts with the previous request's messages (the client resends history)."""
    for before, after in zip(session.turns, session.turns[1:], strict=False):
        old, new = before.body["messages"], after.body["messages"]
        assert len(new) >= len(old)
        for a, b in zip(old[:-1], new, strict=False):
            assert a == b
        assert new[len(old) - 1]["content"][: len(old[-1]["content"])] == old[-1]["content"]


def test_swe_agent_steps_become_bash_calls_answered_by_tool_results() -> None:
    turns = swe_agent_turns(SWE_TRAJ)
    assert len(turns) == 2
    last = turns[-1].body
    assert last["system"] == [{"type": "text", "text": "You are SWE-agent."}]
    assert [t["name"] for t in last["tools"]] == ["bash"]
    first_user = last["messages"][0]
    assert [b["text"] for b in first_user["content"]] == [
        "Here is a demonstration.",
        "Fix the bug in a.py",
    ]
    uses = _blocks(last, "tool_use")
    assert [u["input"] for u in uses] == [{"command": "ls\n"}, {"command": "cat a.py\n"}]
    assert [r["content"] for r in _blocks(last, "tool_result")] == ["a.py", "print(1)"]
    assert last["messages"][1]["content"][0] == {"type": "text", "text": "Look first."}
    assert last["messages"][3]["content"][0]["type"] == "tool_use"  # an empty thought is no block
    assert len(turns[0].body["messages"]) == 3
    assert all(t.at is None for t in turns)
    _assert_calls_answered(last)


def test_openhands_events_give_a_request_before_each_action_and_a_final_one() -> None:
    turns = openhands_turns(OPENHANDS_EVENTS)
    assert [len(t.body["messages"]) for t in turns] == [1, 3, 4]
    assert [t.at for t in turns] == sorted(t.at for t in turns if t.at is not None)
    final = turns[-1].body
    assert [t["name"] for t in final["tools"]] == ["execute_bash"]
    (use,) = _blocks(final, "tool_use")
    assert use == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "execute_bash",
        "input": {"command": "mv a.py b.py"},
    }
    (result,) = _blocks(final, "tool_result")
    assert result["content"] == "Command `mv a.py b.py` executed with exit code 0."
    # `finish` was never answered: it stays the assistant's words, not a dangling call.
    assert final["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Renamed a.py to b.py."}],
    }
    _assert_calls_answered(final)


def test_legacy_resolver_history_pairs_actions_with_the_next_observation() -> None:
    history = [
        {"action": "message", "content": "Add a license"},
        {"action": "run", "command": "touch LICENSE", "thought": "Create it."},
        {"observation": "run", "content": "$ ", "command": "touch LICENSE"},
        {"action": "run_ipython", "code": "print(1)", "thought": "Check."},
        {"observation": "run_ipython", "content": "1", "code": "print(1)"},
        {"action": "finish", "thought": "Done."},
    ]
    turns = openhands_turns(history)
    final = turns[-1].body
    assert [u["name"] for u in _blocks(final, "tool_use")] == [
        "execute_bash",
        "execute_ipython_cell",
    ]
    assert [r["content"] for r in _blocks(final, "tool_result")] == ["$ ", "1"]
    assert final["messages"][0] == {
        "role": "user",
        "content": [{"type": "text", "text": "Add a license"}],
    }
    _assert_calls_answered(final)


def test_seen_text_holds_system_texts_tool_inputs_and_results() -> None:
    body = swe_agent_turns(SWE_TRAJ)[-1].body
    text = seen_text(body)
    for fragment in ("You are SWE-agent.", "Look first.", "print(1)", '{"command":"cat a.py\\n"}'):
        assert fragment in text
    assert "cat a.py\n" in decoded_strings(text)


def test_a_folder_without_traces_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no SWE-agent or OpenHands traces"):
        load_traces(tmp_path)
    (tmp_path / "x.json").write_text('{"not": "a trace"}')
    with pytest.raises(CorpusError, match="not a trace"):
        load_traces(tmp_path)


def test_traces_outside_a_corpus_load_without_needles(tmp_path: Path) -> None:
    (tmp_path / "run.traj.json").write_bytes(orjson.dumps(SWE_TRAJ))
    (session,) = load_traces(tmp_path, model="claude-haiku-4-5")
    assert (session.id, session.model, session.needles) == ("run", "claude-haiku-4-5", ())
    assert all(t.body["model"] == "claude-haiku-4-5" for t in session.turns)


@pytest.mark.corpus
def test_every_corpus_trace_replays_with_paired_calls_and_its_needles() -> None:
    folder = require_corpus() / "agent_traces"
    sessions = load_traces(folder)
    files = [p for p in folder.iterdir() if p.is_file()]
    assert len(sessions) == len(files) + 1  # the resolver output holds two sessions
    assert len({s.id for s in sessions}) == len(sessions)
    lines = (folder.parent / "manifest.jsonl").read_bytes().splitlines()
    manifest = [orjson.loads(line) for line in lines if line.strip()]
    listed = {r["id"]: len(r["needles"]) for r in manifest if r["path"].startswith("agent_traces/")}
    for session in sessions:
        assert session.turns, session.id
        assert session.model == "claude-sonnet-4-5"
        for turn in session.turns:
            _assert_calls_answered(turn.body)
        _assert_full_history(session)
        last = seen_text(session.turns[-1].body)
        decoded = decoded_strings(last)
        missing = [n.question for n in session.needles if not needle_kept(n, last, decoded)]
        assert not missing, (session.id, missing)
        if session.id in listed:  # a single-session file keeps all its manifest needles
            assert len(session.needles) == listed[session.id]
        times = [t.at for t in session.turns]
        assert all(t is None for t in times) or times == sorted(times)
    by_id = {s.id: s for s in sessions}
    trajectories = [r for r in manifest if r["path"].endswith(".traj.json")]
    assert trajectories
    for record in trajectories:  # one request per SWE-agent step
        steps = orjson.loads((folder.parent / record["path"]).read_bytes())["trajectory"]
        assert len(by_id[record["id"]].turns) == len(steps)
