"""Frozen history: the rendered history is byte-identical on every turn.

A 40-turn agent session is replayed turn by turn through `prepare_request`
(what the proxy does to each request), and every request must start with the
previous request's messages, byte for byte. The same must hold when the
process restarts (its memo gone), and when turns alternate between two
independent pipelines (two replicas without a shared store).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from headroom.config import load_settings
from headroom.pipeline import Decision, Reason
from headroom.prepare import Prepared, prepare_request
from headroom.providers.breakpoints import strip_cache_control
from headroom.runtime import Runtime, build_runtime
from headroom.store.memory import MemoryStore

TURNS = 40
T0 = 1_800_000_000.0
GAP = 30.0


def _log(turn: int) -> str:
    lines = []
    for i in range(400):
        level = "ERROR" if i == 7 * turn % 400 else "INFO"
        lines.append(
            f"2026-11-21T10:{i // 60:02d}:{i % 60:02d}.{turn:03d}Z {level} worker-{i % 4} "
            f"request id=req-{turn}-{i} path=/api/items/{i % 17} status=200 took={i % 90}ms"
        )
    return "\n".join(lines)


def _rows(turn: int) -> str:
    rows = [
        {"id": turn * 1000 + i, "name": f"item-{i}", "state": "ok" if i % 9 else "retry", "n": i}
        for i in range(250)
    ]
    return orjson.dumps(rows).decode()


def _grep(turn: int) -> str:
    return "\n".join(
        f"src/pkg/module_{i % 23}.py:{i * 7 + turn}:    value = compute_{i % 5}(x, turn={turn})"
        for i in range(300)
    )


_OUTPUTS: tuple[Callable[[int], str], ...] = (_log, _rows, _grep)


def session_messages(turns: int = TURNS) -> list[dict[str, Any]]:
    """A user task, then `turns` rounds of tool call + tool result, with new questions."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Find out why the nightly job fails and fix it."}
    ]
    for turn in range(1, turns + 1):
        call_id = f"toolu_{turn:04d}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": f"Step {turn}: looking at more output."},
                    {
                        "type": "tool_use",
                        "id": call_id,
                        "name": "Bash",
                        "input": {"command": f"./inspect --step {turn}"},
                    },
                ],
            }
        )
        content: list[dict[str, Any]] = [
            {
                "type": "tool_result",
                "tool_use_id": call_id,
                "content": _OUTPUTS[turn % len(_OUTPUTS)](turn),
            }
        ]
        if turn % 5 == 0:  # the user chimes in: the question in force changes
            content.append({"type": "text", "text": f"Now focus on worker-{turn % 4} errors."})
        messages.append({"role": "user", "content": content})
    return messages


def body_at(messages: list[dict[str, Any]], turn: int) -> dict[str, Any]:
    """The request a client sends at `turn`: the whole history up to that turn's tool result."""
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "You are a careful engineer. " * 200}],
        "tools": [
            {
                "name": "Bash",
                "description": "Run a shell command.",
                "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
            }
        ],
        "messages": messages[: 1 + 2 * turn],
    }


def memory_runtime(home: Path, **settings: Any) -> Runtime:
    return build_runtime(
        load_settings(store="memory", home=str(home), **settings), store=MemoryStore()
    )


def canonical(message: dict[str, Any]) -> bytes:
    """A message as the provider reads it: breakpoint markers (they roll forward by
    design) do not count, and string content is the one text block it stands for."""
    content = message["content"]
    if isinstance(content, str):
        message = {**message, "content": [{"type": "text", "text": content}]}
    return orjson.dumps(strip_cache_control(message))


def rendered_messages(prepared: Prepared) -> list[bytes]:
    return [canonical(m) for m in prepared.body["messages"]]


def replay(runtimes: Iterator[Runtime], turns: int = TURNS) -> list[Prepared]:
    messages = session_messages(turns)
    sent = []
    for turn, runtime in zip(range(1, turns + 1), runtimes, strict=False):
        prepared = prepare_request(
            runtime, "anthropic", body_at(messages, turn), session="s-1", now=T0 + GAP * turn
        )
        prepared.commit()
        sent.append(prepared)
    return sent


def assert_prefix_stable(sent: list[Prepared]) -> None:
    compressed_turns = sum(1 for p in sent if p.compressed)
    assert compressed_turns >= len(sent) - 1, "the session must actually be compressed"
    for turn in range(1, len(sent)):
        before, now = rendered_messages(sent[turn - 1]), rendered_messages(sent[turn])
        assert now[: len(before)] == before, f"turn {turn + 1} changed the history it re-sent"
        assert len(now) == len(before) + 2
    system = {orjson.dumps(strip_cache_control(p.body["system"])) for p in sent}
    tools = {orjson.dumps(strip_cache_control(p.body["tools"])) for p in sent}
    assert len(system) == 1 and len(tools) == 1


def test_a_40_turn_session_re_sends_byte_identical_history(tmp_path: Path) -> None:
    runtime = memory_runtime(tmp_path)
    sent = replay(itertools.repeat(runtime))
    assert_prefix_stable(sent)
    # Later turns reuse what was decided the first time instead of compressing again.
    last = sent[-1].result
    assert last is not None
    frozen = [r for r in last.records if r.decision is Decision.FROZEN]
    assert len(frozen) >= TURNS - 2
    assert sum(r.tokens_before - r.tokens_after for r in last.changed) > 50_000


def test_history_stays_identical_across_a_restart_with_the_memo_gone(tmp_path: Path) -> None:
    first = memory_runtime(tmp_path)
    restarted = memory_runtime(tmp_path)  # a fresh process: nothing remembered
    runtimes = itertools.chain(itertools.repeat(first, 20), itertools.repeat(restarted))
    assert_prefix_stable(replay(runtimes))


def test_history_stays_identical_across_a_sqlite_restart(tmp_path: Path) -> None:
    """The embedded default store: the database file is deleted between two processes."""
    db = tmp_path / "one.db"
    settings = load_settings(store=f"sqlite:///{db}", home=str(tmp_path))
    first = build_runtime(settings)
    sent = replay(itertools.repeat(first), turns=12)
    first.store.close()
    for path in tmp_path.glob("one.db*"):
        path.unlink()
    second = build_runtime(settings)
    messages = session_messages(TURNS)
    for turn in range(13, 25):
        prepared = prepare_request(
            second, "anthropic", body_at(messages, turn), session="s-1", now=T0 + GAP * turn
        )
        prepared.commit()
        sent.append(prepared)
    second.store.close()
    assert_prefix_stable(sent)


def test_two_pipelines_without_a_shared_store_send_the_same_bytes(tmp_path: Path) -> None:
    one, two = memory_runtime(tmp_path), memory_runtime(tmp_path)
    assert_prefix_stable(replay(itertools.cycle([one, two])))


def test_two_replicas_sharing_a_store_send_the_same_bytes(tmp_path: Path) -> None:
    store = MemoryStore()
    settings = load_settings(store="memory", home=str(tmp_path))
    one, two = build_runtime(settings, store=store), build_runtime(settings, store=store)
    assert_prefix_stable(replay(itertools.cycle([one, two])))


def test_past_the_time_budget_old_blocks_keep_their_frozen_form(tmp_path: Path) -> None:
    runtime = memory_runtime(tmp_path)
    messages = session_messages(3)
    first = prepare_request(runtime, "anthropic", body_at(messages, 2), session="s", now=T0)
    first.commit()
    late = prepare_request(
        runtime, "anthropic", body_at(messages, 3), session="s", now=T0 + 5, frozen_only=True
    )
    assert late.result is not None
    decisions = [(r.address.message, r.decision, r.reason) for r in late.result.records]
    assert decisions[:2] == [(2, Decision.FROZEN, Reason.SAVED), (4, Decision.FROZEN, Reason.SAVED)]
    assert decisions[2] == (6, Decision.KEPT, Reason.TIME_BUDGET)
    before, now = rendered_messages(first), rendered_messages(late)
    assert now[: len(before)] == before
    assert orjson.loads(now[6])["content"][0]["content"] == messages[6]["content"][0]["content"]


def test_the_planner_keeps_history_sent_uncompressed_while_the_cache_is_warm(
    tmp_path: Path,
) -> None:
    """The proxy joins a session whose first turns went upstream as they were.

    Shrinking the early blocks would turn all the history after them from cache
    reads into cache writes; the last sent block has nothing after it, so
    shrinking it pays for itself within the turns to come.
    """
    runtime = memory_runtime(tmp_path)
    messages = session_messages(4)
    seen = body_at(messages, 3)["messages"]
    runtime.sessions.sent("joined", runtime.sessions.get("joined"), now=T0, messages=7)
    prepared = prepare_request(
        runtime, "anthropic", body_at(messages, 4), session="joined", now=T0 + 10
    )
    assert prepared.result is not None
    records = {r.address.message: r for r in prepared.result.records}
    assert [(records[m].decision, records[m].reason) for m in (2, 4)] == [
        (Decision.KEPT, Reason.CACHE_PLANNER)
    ] * 2
    assert records[6].decision is Decision.COMPRESSED and "pays" in (records[6].plan or "")
    assert records[8].decision is Decision.COMPRESSED and records[8].plan is None  # new
    assert all(records[m].plan for m in (2, 4, 6)), "every planner decision has its reason"
    assert rendered_messages(prepared)[:6] == [canonical(m) for m in seen[:6]]
    # Blocks kept for the cache are not pinned: once it is cold they may change.
    later = prepare_request(
        runtime, "anthropic", body_at(messages, 4), session="joined", now=T0 + 400
    )
    assert later.result is not None
    assert {r.decision for r in later.result.records} == {Decision.COMPRESSED}
