"""The dashboard in a real browser: Playwright driving Debian's chromium, headless.

Scripted traffic goes through the real default app (`serve_default`, the proxy
`headroom proxy` runs) to a fake upstream with the official SDKs: compressed
requests with big tool outputs, a streamed one with a retrieve round, usage
with cache reads and writes. Then the page is opened and every number it shows
is checked against `/stats` (and the two dashboard endpoints), formatted the
way the page promises: tokens with thousands separators, dollars with four
decimals, rates as percentages with two. Clicking a recent request must open
its decision log with the block's decision and the original beside what the
model saw. Screenshots go to `test-artifacts/` in the repository (git-ignored).

Playwright never downloads a browser here: it launches /usr/bin/chromium
(`make browser-tools` installs it). Without chromium or the playwright package
the tests skip, and fail under CI=true.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

import anthropic
import httpx
import openai
import pytest

from headroom.accounting import HOLDOUT, arm_of
from headroom.config import child_environment, load_settings
from headroom.runtime import Runtime, build_runtime
from headroom.store.memory import MemoryStore
from headroom.testing import FakeUpstream, Reply
from tests.cli.running import free_port, headroom_proxy
from tests.conftest import ROOT, in_ci
from tests.proxy import bodies
from tests.proxy.conftest import big_log
from tests.proxy.wired import marker_id, serve_default

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
KEY = "sk-test-dashboard"
#: A line of tool output that would run script if the page ever used innerHTML.
HOSTILE = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>"


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.is_file():
        _unavailable(f"Debian's chromium is not at {CHROMIUM} (run `make browser-tools`)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # Anything the page fetches must be this proxy on loopback: no CDN, no font, no favicon host.
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("http://127.0.0.1:", "data:")) else outside.append(r.url)
        ),
    )
    yield page
    context.close()
    assert errors == [], errors
    assert outside == [], outside


@pytest.fixture
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


def _runtime(tmp_path: Path, **settings: Any) -> Runtime:
    """A runtime of its own, so the proxy's totals are exactly this test's traffic."""
    values = {"store": "memory", "raise_errors": True, "home": str(tmp_path), **settings}
    return build_runtime(load_settings(**values), store=MemoryStore())


# ---------- the page's formatting, in Python ----------


def tokens(n: int) -> str:
    return f"{n:,}"


def _fixed(value: float, places: str) -> Decimal:
    # JS toFixed rounds the exact binary value half away from zero; so does this.
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def usd(value: float) -> str:
    fixed = _fixed(abs(value), "0.0001")
    sign = "-" if value < 0 and fixed != 0 else ""
    return f"{sign}${fixed:,.4f}"


def pct(percent: float) -> str:
    return f"{_fixed(percent, '0.01'):.2f}%"


def rate(share: float) -> str:
    return pct(share * 100)


# ---------- traffic ----------


def _json_output(rows: int = 300) -> str:
    """A JSON tool output with one hostile field (json.dumps keeps its < and >)."""
    records: list[dict[str, object]] = [
        {
            "id": i,
            "status": "ok" if i % 17 else "retry",
            "latency_ms": i % 90,
            "region": "eu-west-1",
        }
        for i in range(rows)
    ]
    records[17]["note"] = HOSTILE
    return json.dumps(records, indent=2)


def _orders_chat() -> dict[str, Any]:
    """An OpenAI chat request whose tool returned a JSON array of orders."""
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "list_orders", "arguments": '{"status":"all"}'},
    }
    return {
        "model": "gpt-4.1",
        "prompt_cache_key": "session-beta",
        "messages": [
            {"role": "user", "content": "which orders need a retry?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": _json_output()},
        ],
    }


def _scripted_traffic(up: FakeUpstream, served: HasUrl) -> None:
    """Four requests: Anthropic plain, Anthropic streamed with a retrieve round, OpenAI x2."""
    claude = anthropic.Anthropic(api_key=KEY, base_url=served.url, max_retries=0)
    gpt = openai.OpenAI(api_key=KEY, base_url=served.url + "/v1", max_retries=0)
    alpha = {"x-claude-code-session-id": "session-alpha"}
    usage_too = {"include_usage": True}

    up.script(
        Reply.text("the retry at id=17").with_usage(
            input_tokens=1200, output_tokens=80, cache_read_tokens=9000, cache_write_tokens=1500
        )
    )
    claude.messages.create(**bodies.anthropic(big_log()), extra_headers=alpha)

    # The same log again, streamed: the model asks for the original back once.
    up.script(
        Reply.tool_call("headroom_retrieve", {"id": marker_id(up.requests[-1])}).with_usage(
            input_tokens=700, output_tokens=20, cache_read_tokens=11000
        ),
        Reply.text("found it").with_usage(
            input_tokens=900, output_tokens=40, cache_read_tokens=11000
        ),
    )
    with claude.messages.stream(**bodies.anthropic(big_log()), extra_headers=alpha) as stream:
        stream.get_final_message()

    up.script(
        Reply.text("two regions").with_usage(
            input_tokens=800, output_tokens=30, cache_read_tokens=4096
        )
    )
    list(gpt.chat.completions.create(**_orders_chat(), stream=True, stream_options=usage_too))

    up.script(Reply.text("hi").with_usage(input_tokens=40, output_tokens=5))
    gpt.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "user", "content": "say hi"}],
        prompt_cache_key="session-beta",
    )


def _stats(served: HasUrl, requests: int) -> dict[str, Any]:
    """/stats once the ledger holds `requests` entries (they are recorded after each response)."""
    deadline = time.monotonic() + 15
    while True:
        stats: dict[str, Any] = httpx.get(served.url + "/stats", params={"last": 20}).json()
        if stats["requests"] >= requests or time.monotonic() > deadline:
            assert stats["requests"] == requests
            return stats
        time.sleep(0.02)


class HasUrl(Protocol):
    """A running proxy, in process (`Served`) or as its own process."""

    @property
    def url(self) -> str: ...


# ---------- reading the page ----------


def _open(page: Any, served: HasUrl, requests: int) -> None:
    page.goto(served.url + "/dashboard")
    page.wait_for_function(
        "n => document.querySelector('[data-testid=requests]').dataset.value === String(n)"
        " && document.querySelector('#live').dataset.state === 'live'",
        arg=requests,
        timeout=15_000,
    )


def _text(page: Any, testid: str) -> str:
    return str(page.get_by_test_id(testid).first.text_content()).strip()


def _table(page: Any, testid: str, cell: str) -> dict[str, str]:
    """name -> the text of the cell with data-testid=`cell`, for each row of a table."""
    rows = page.locator(f"[data-testid={testid}] tbody tr[data-name]")
    return {
        str(rows.nth(i).get_attribute("data-name")): str(
            rows.nth(i).locator(f"[data-testid={cell}]").text_content()
        )
        for i in range(rows.count())
    }


def _shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


# ---------- the tests ----------


def test_the_dashboard_shows_the_stats_numbers_and_opens_a_decision_log(
    page: Any, up: FakeUpstream, tmp_path: Path
) -> None:
    runtime = _runtime(tmp_path)
    with serve_default(up, runtime) as served:
        _scripted_traffic(up, served)
        stats = _stats(served, 4)
        sessions = httpx.get(served.url + "/dashboard/api/sessions").json()
        learned = httpx.get(served.url + "/dashboard/api/learned").json()
        _open(page, served, 4)

        # The scenario did what it claims: savings, cache reads and writes, a retrieval.
        assert stats["tokens_saved"] > 0 and stats["dollars"]["saved"] > 0
        assert stats["cache"]["read_tokens"] > 0 and stats["cache"]["write_tokens"] > 0
        assert stats["retrievals"] == 1 and stats["streaming"] == 2

        dollars, today, cache = stats["dollars"], stats["today"], stats["cache"]
        shown = {
            "requests": tokens(stats["requests"]),
            "tokens-saved": tokens(stats["tokens_saved"]),
            "tokens-before": tokens(stats["tokens_before"]),
            "saved-pct": pct(stats["saved_pct"]),
            "tokens-saved-today": tokens(today["tokens_saved"]),
            "dollars-saved": usd(dollars["saved"]),
            "dollars-saved-today": usd(today["saved"]),
            "dollars-spent": usd(dollars["spent"]),
            "dollars-without": usd(dollars["without_headroom"]),
            "dollars-spent-today": usd(today["spent"]),
            "dollars-without-today": usd(today["without_headroom"]),
            "dollars-label": dollars["label"],
            "cache-hit-rate": rate(cache["hit_rate"]),
            "cache-read-tokens": tokens(cache["read_tokens"]),
            "cache-write-tokens": tokens(cache["write_tokens"]),
            "retrievals": tokens(stats["retrievals"]),
            "measured-label": stats["measured"]["label"],
        }
        assert {testid: _text(page, testid) for testid in shown} == shown
        assert shown["dollars-label"] == "estimated"

        for group in ("compressor", "tool", "model"):
            expected = {name: tokens(v) for name, v in stats["saved_by"][group].items()}
            assert expected, group
            assert _table(page, f"saved-by-{group}", "saved-tokens") == expected
        assert _table(page, "saved-by-session", "saved-tokens") == {
            s["session"]: tokens(s["tokens_saved"]) for s in sessions["sessions"]
        }
        assert _table(page, "saved-by-session", "saved-dollars") == {
            s["session"]: usd(s["saved"]) for s in sessions["sessions"]
        }
        assert set(_table(page, "saved-by-session", "saved-tokens")) == {
            "session-alpha",
            "session-beta",
        }
        assert _table(page, "retrieval-by-tool", "retrieval-rate") == {
            t["tool"]: rate(t["retrieval_rate"]) for t in learned["tools"]
        }
        assert any(t["retrieved"] for t in learned["tools"])
        bar = page.locator(f"[data-testid=timeline-bar][data-day='{today['day']}']")
        assert bar.get_attribute("data-value") == str(today["tokens_saved"])
        page.get_by_test_id("timeline-dollars").click()
        assert bar.get_attribute("data-value") == str(today["saved"])
        page.get_by_test_id("timeline-tokens").click()

        rows = page.get_by_test_id("recent-row")
        assert rows.count() == 4
        assert [rows.nth(i).get_attribute("data-id") for i in range(4)] == [
            str(e["id"]) for e in stats["recent"]
        ]
        overview = _shot(page, "dashboard.png")

        # The first request: the log compressed, its original kept in the store.
        first = stats["recent"][-1]
        detail = httpx.get(f"{served.url}/v1/requests/{first['id']}?originals=1").json()
        (decision,) = [d for d in detail["decisions"] if d["ccr_id"]]
        page.locator(f"[data-testid=recent-row][data-id='{first['id']}']").click()
        log = page.get_by_test_id("decision-log")
        log.get_by_test_id("original-text").first.wait_for()
        assert log.is_visible()
        card = log.locator(f"[data-testid=decision][data-block='{decision['block']}']")
        assert _text(card, "decision-decision") == decision["decision"] == "compressed"
        assert _text(card, "decision-reason") == decision["reason"]
        assert _text(card, "decision-ccr") == decision["ccr_id"]
        assert _text(card, "decision-tokens") == (
            f"{tokens(decision['tokens_before'])} → {tokens(decision['tokens_after'])}"
        )
        assert card.get_by_test_id("original-text").text_content() == decision["original"]
        assert card.get_by_test_id("model-text").text_content() == decision["text"]
        assert decision["original"] == big_log()
        _shot(page, "dashboard-decision-log.png", full_page=False)  # the drawer is fixed

        # Tool output is shown as text, never run: open the request that carried HOSTILE
        # (the JSON compressor rewrote it losslessly, so the model saw the hostile field).
        page.get_by_test_id("decision-log-close").click()
        assert not log.is_visible()
        hostile = next(e for e in stats["recent"] if e["provider"] == "openai" and e["streaming"])
        page.locator(f"[data-testid=recent-row][data-id='{hostile['id']}']").click()
        seen = log.get_by_test_id("model-text").first
        seen.wait_for()
        assert HOSTILE in str(seen.text_content())
        assert page.evaluate("window.__pwned") is None
        assert page.locator("img, main script, aside script").count() == 0
    assert overview.is_file() and overview.stat().st_size > 10_000


def test_a_holdout_measurement_is_shown_with_its_interval(
    page: Any, up: FakeUpstream, tmp_path: Path
) -> None:
    share = 0.5
    runtime = _runtime(tmp_path, holdout=share)
    candidates = [f"measured-{i}" for i in range(60)]
    held = [s for s in candidates if arm_of(s, share) == HOLDOUT][:6]
    treated = [s for s in candidates if arm_of(s, share) != HOLDOUT][:6]
    assert len(held) == len(treated) == 6
    with serve_default(up, runtime, holdout=share) as served:
        client = anthropic.Anthropic(api_key=KEY, base_url=served.url, max_retries=0)
        for i, session in enumerate(held + treated):
            # What the provider bills: the whole log for a held-out session, a marker otherwise.
            billed = 9000 + 97 * i if session in held else 300 + 7 * i
            up.script(Reply.text("ok").with_usage(input_tokens=billed, output_tokens=20))
            client.messages.create(
                **bodies.anthropic(big_log(400 + 10 * i)),
                extra_headers={"x-claude-code-session-id": session},
            )
        stats = _stats(served, 12)
        measured = stats["measured"]
        assert measured["label"] == "measured" and measured["saved_pct"] > 50
        _open(page, served, 12)
        low, high = measured["ci95_pct"]
        assert _text(page, "measured-label") == "measured"
        assert _text(page, "measured-pct") == pct(measured["saved_pct"])
        assert _text(page, "measured-ci") == f"{pct(low)} to {pct(high)}"
        assert page.get_by_test_id("measurement").get_attribute("data-label") == "measured"
        assert (
            _text(page, "dollars-measured")
            == f"holdout measured {pct(measured['saved_pct'])} saved"
        )
        _shot(page, "dashboard-measured.png")


def test_a_proxy_with_no_traffic_yet_shows_how_to_point_a_client_at_it(
    page: Any, up: FakeUpstream, tmp_path: Path
) -> None:
    with serve_default(up, _runtime(tmp_path)) as served:
        _open(page, served, 0)
        assert page.locator("#empty").is_visible()
        assert f"ANTHROPIC_BASE_URL={served.url}" in str(page.locator("#empty-hint").text_content())
        assert _text(page, "tokens-saved") == "0" and _text(page, "dollars-saved") == "$0.0000"
        assert _text(page, "cache-hit-rate") == "0.00%"
        assert page.get_by_test_id("recent-row").count() == 0
        assert page.get_by_test_id("timeline-bar").count() == 7
    assert up.requests == []  # the page never reached past the proxy


def test_the_dashboard_of_a_proxy_started_as_make_run_starts_it(
    page: Any, up: FakeUpstream, tmp_path: Path
) -> None:
    """`headroom proxy` as its own process, on the embedded SQLite store, with scripted traffic."""
    port = free_port()
    env = child_environment()
    env.update(
        HEADROOM_HOME=str(tmp_path / "home"),
        HEADROOM_UPSTREAM_ANTHROPIC=up.url,
        HEADROOM_UPSTREAM_OPENAI=up.url,
    )
    with headroom_proxy(env, port) as url:
        served = _Address(url)
        _scripted_traffic(up, served)
        stats = _stats(served, 4)
        _open(page, served, 4)
        shown = {
            "requests": tokens(stats["requests"]),
            "tokens-saved": tokens(stats["tokens_saved"]),
            "dollars-saved": usd(stats["dollars"]["saved"]),
            "dollars-spent": usd(stats["dollars"]["spent"]),
            "cache-hit-rate": rate(stats["cache"]["hit_rate"]),
        }
        assert stats["tokens_saved"] > 0 and stats["dollars"]["saved"] > 0
        assert {testid: _text(page, testid) for testid in shown} == shown
        _shot(page, "dashboard-proxy-process.png")


@dataclass(frozen=True)
class _Address:
    """Where a proxy process listens."""

    url: str
