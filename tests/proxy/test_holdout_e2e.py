"""Holdout and meter-only modes end to end: real SDK requests through the default app."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anthropic
import httpx

from headroom.accounting import HOLDOUT, arm_of
from headroom.config import load_settings
from headroom.runtime import build_runtime
from headroom.store.memory import MemoryStore
from headroom.testing import FakeUpstream, Reply
from tests.proxy import bodies
from tests.proxy.conftest import Served, big_log
from tests.proxy.wired import serve_default


def _runtime(tmp_path: Path, **settings: Any) -> Any:
    return build_runtime(
        load_settings(store="memory", home=str(tmp_path), **settings), store=MemoryStore()
    )


def _stats(served: Served, requests: int) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        stats: dict[str, Any] = httpx.get(served.url + "/stats").json()
        if stats["requests"] >= requests or time.monotonic() > deadline:
            return stats
        time.sleep(0.01)


def _tool_result(request_json: dict[str, Any]) -> str:
    content = request_json["messages"][-1]["content"][0]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def test_holdout_sessions_go_untouched_and_savings_are_measured_against_them(
    up: FakeUpstream, tmp_path: Path
) -> None:
    runtime = _runtime(tmp_path, holdout=0.3)
    sessions = [f"session-{i}" for i in range(40)]
    held = {s for s in sessions if arm_of(s, 0.3) == HOLDOUT}
    assert 5 <= len(held) <= 35  # both arms are represented
    log = big_log()
    with serve_default(up, runtime, holdout=0.3) as served:
        client = anthropic.Anthropic(api_key="sk-holdout", base_url=served.url, max_retries=0)
        for session in sessions:
            up.script(Reply.text("ok"))
            client.messages.create(
                **bodies.anthropic(log), extra_headers={"x-claude-code-session-id": session}
            )
        stats = _stats(served, len(sessions))
    for session, request in zip(sessions, up.requests, strict=True):
        sent = request.json()
        if session in held:  # exactly what the client sent: no cut, no retrieve tool
            assert _tool_result(sent) == log and "tools" not in sent
        else:
            assert len(_tool_result(sent)) < len(log) / 2
    assert stats["arms"]["holdout"]["requests"] == len(held)
    assert stats["arms"]["compressed"]["requests"] == len(sessions) - len(held)
    measured = stats["measured"]
    assert measured["label"] == "measured"
    assert measured["saved_pct"] > 50
    low, high = measured["ci95_pct"]
    assert low <= measured["saved_pct"] <= high  # identical requests: a narrow interval
    assert stats["dollars"]["saved"] > 0 and stats["dollars"]["label"] == "estimated"


def test_meter_only_changes_nothing_and_reports_what_it_would_have_saved(
    up: FakeUpstream, tmp_path: Path
) -> None:
    runtime = _runtime(tmp_path, meter_only=True)
    body = bodies.anthropic(big_log())
    with serve_default(up, runtime, meter_only=True) as served:
        client = anthropic.Anthropic(api_key="sk-meter", base_url=served.url, max_retries=0)
        up.script(Reply.text("ok"))
        client.messages.create(**body)
        stats = _stats(served, 1)
    assert up.requests[0].json() == body  # byte-for-byte content: no cut, tool or breakpoint
    entry = stats["recent"][0]
    assert entry["arm"] == "meter-only"
    assert entry["tokens_before"] > entry["tokens_after"] > 0  # what would have been saved
    assert entry["dollars_without"] > entry["dollars"] > 0
    assert stats["arms"]["meter-only"]["requests"] == 1
