"""`headroom doctor`: every check reported, with a fix for each failure.

The command runs as a user runs it (a real process) on a fresh Headroom home
and against a real proxy process; the single checks are also called directly
with settings that make them fail one way or another.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from headroom.config import Settings, load_settings
from headroom.doctor import (
    check_port,
    check_proxy,
    check_store,
    check_tokenizer,
    check_upstreams,
    format_check,
    marks,
    run_checks,
)
from headroom.doctor_agents import agent_checks
from headroom.integrations.wrap import aider, claude, codex, manifest, opencode
from headroom.tokens import O200K_FILE
from tests.cli.running import free_port, headroom_proxy
from tests.proxy.conftest import Served

NAMES = ["settings", "proxy", "upstream", "store", "tokenizer", "agents", "port"]
SHELL_VARIABLES = ("ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE", "CODEX_HOME")


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user home (agents' configs live there) and a shell with no base URLs."""
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in SHELL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home


def _environment(home: Path, headroom_home: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SHELL_VARIABLES}
    env.update(HOME=str(home), HEADROOM_HOME=str(headroom_home), HEADROOM_PORT=str(port))
    env.update(extra)
    return env


def _doctor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "headroom", "doctor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _names(stdout: str) -> list[str]:
    return [line.split(" ", 1)[1].split(":", 1)[0] for line in stdout.splitlines()]


def test_a_fresh_clone_reports_every_check_and_fails_without_a_proxy(
    user_home: Path, _isolated_home: Path
) -> None:
    port = free_port()
    result = _doctor(_environment(user_home, _isolated_home, port))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert _names(result.stdout) == NAMES
    lines = dict(zip(NAMES, result.stdout.splitlines(), strict=True))
    assert lines["proxy"].startswith("✗ proxy: not running at http://127.0.0.1:")
    assert "fix: start it with `headroom proxy` (or `make run`)" in lines["proxy"]
    assert lines["store"].startswith("✓ store: sqlite")
    assert lines["port"] == f"✓ port: port {port} free"
    assert lines["agents"].startswith("✓ agents: no agent is configured")


def test_json_output_has_one_object_per_check(user_home: Path, _isolated_home: Path) -> None:
    result = _doctor(_environment(user_home, _isolated_home, free_port()), "--json")
    assert result.returncode == 1
    checks = orjson.loads(result.stdout)
    assert [c["name"] for c in checks] == NAMES
    proxy = checks[1]
    assert proxy["ok"] is False and "headroom proxy" in proxy["fix"]


def test_a_bad_setting_is_reported_and_the_other_checks_still_run(
    user_home: Path, _isolated_home: Path
) -> None:
    env = _environment(user_home, _isolated_home, free_port(), HEADROOM_MIN_TOKENS="many")
    result = _doctor(env)
    assert result.returncode == 1
    assert _names(result.stdout) == NAMES
    first = result.stdout.splitlines()[0]
    assert first.startswith("✗ settings: min_tokens from $HEADROOM_MIN_TOKENS")
    assert "fix:" in first


@pytest.fixture
def running_proxy(user_home: Path, _isolated_home: Path) -> Iterator[int]:
    """`python -m headroom proxy` on a free port, as a user starts it."""
    port = free_port()
    with headroom_proxy(_environment(user_home, _isolated_home, port), port):
        yield port


def test_with_the_proxy_running_the_proxy_and_port_checks_pass(
    running_proxy: int, user_home: Path, _isolated_home: Path
) -> None:
    result = _doctor(_environment(user_home, _isolated_home, running_proxy))
    lines = dict(zip(NAMES, result.stdout.splitlines(), strict=True))
    assert lines["proxy"] == f"✓ proxy: running at http://127.0.0.1:{running_proxy}"
    assert lines["port"] == f"✓ port: port {running_proxy} is held by the Headroom proxy"
    failed = [line for line in lines.values() if not line.startswith("✓")]
    assert result.returncode == (1 if failed else 0)


async def _not_found(request: object) -> PlainTextResponse:
    return PlainTextResponse("nothing here", status_code=404)


@pytest.fixture
def other_server() -> Iterator[int]:
    """An HTTP server that is not Headroom, on a free port."""
    app = Starlette(routes=[Route("/{path:path}", _not_found)])
    with Served(app) as served:
        yield int(served.url.rsplit(":", 1)[1])


def test_a_port_taken_by_another_program_fails_with_the_port_fix(other_server: int) -> None:
    settings = load_settings(proxy_port=other_server)
    port = check_port(settings)
    assert not port.ok
    assert port.detail == f"port {other_server} is taken by another program"
    assert "--port" in port.fix and "HEADROOM_PORT" in port.fix
    proxy = check_proxy(settings)
    assert not proxy.ok and "not a Headroom proxy" in proxy.detail


def test_each_bad_upstream_is_named_with_its_variable() -> None:
    settings = load_settings(
        upstream_anthropic="https://api.anthropic.com/v1", upstream_openai="ftp://api.openai.com"
    )
    check = check_upstreams(settings)
    assert not check.ok
    assert "upstream_anthropic = 'https://api.anthropic.com/v1' ends in /v1" in check.detail
    assert "upstream_openai = 'ftp://api.openai.com' is not an http(s) URL" in check.detail
    assert "gemini" not in check.detail
    assert "HEADROOM_UPSTREAM_ANTHROPIC" in check.fix and "HEADROOM_UPSTREAM_OPENAI" in check.fix
    assert check_upstreams(load_settings()).ok


@pytest.mark.parametrize("store", ["sqlite:///{tmp}/a-file/store.db", "redis://127.0.0.1:{port}/0"])
def test_a_store_that_cannot_be_opened_fails_with_a_fix(tmp_path: Path, store: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    settings = load_settings(store=store.format(tmp=tmp_path, port=free_port()))
    check = check_store(settings)
    assert not check.ok
    assert "does not open" in check.detail
    assert "HEADROOM_STORE" in check.fix


def test_a_writable_store_passes(_isolated_home: Path) -> None:
    check = check_store(load_settings())
    assert check.ok, check
    assert check.detail == f"sqlite ({_isolated_home / 'store.db'}) is writable"


def test_a_wrong_tokenizer_file_fails_and_the_real_one_passes(tmp_path: Path) -> None:
    (tmp_path / O200K_FILE).write_text("not a BPE file")
    bad = check_tokenizer(load_settings(tokenizer_dir=str(tmp_path)))
    assert not bad.ok and "sha256 differs" in bad.detail
    assert "HEADROOM_TOKENIZER_DIR" in bad.fix
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "tiktoken"
    if not (shared / O200K_FILE).is_file():
        pytest.skip("no o200k_base file beside the repo")
    good = check_tokenizer(load_settings(tokenizer_dir=str(shared)))
    assert good.ok and str(shared / O200K_FILE) in good.detail


def _port_settings(port: int) -> Settings:
    return load_settings(proxy_port=port)


def test_agents_persisted_by_wrap_pass_and_fail_once_the_port_moves(
    user_home: Path, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # codex wraps with env_key
    url = "http://127.0.0.1:8791"
    for agent in (claude.AGENT, codex.AGENT, aider.AGENT, opencode.AGENT):
        agent.launch(url, [], persist=True, home=_isolated_home)
    checks = agent_checks(_port_settings(8791))
    assert [c.name for c in checks] == [
        f"agent {n}" for n in ("claude", "codex", "aider", "opencode")
    ]
    assert all(c.ok for c in checks), checks
    moved = agent_checks(_port_settings(9000))
    assert not any(c.ok for c in moved)
    claude_check = moved[0]
    assert "points at port 8791, not 9000" in claude_check.detail
    assert claude_check.fix.startswith("run `headroom wrap claude --persist` again")


def test_a_hand_written_config_is_checked_for_port_and_path(user_home: Path) -> None:
    config = user_home / ".codex" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        'model_provider = "mine"\n[model_providers.mine]\nbase_url = "http://127.0.0.1:8787"\n'
    )
    (check,) = agent_checks(_port_settings(8787))
    assert not check.ok and "it needs /v1" in check.detail
    assert "http://127.0.0.1:8787" in check.fix
    config.write_text(config.read_text().replace(":8787", ":8787/v1"))
    (check,) = agent_checks(_port_settings(8787))
    assert check.ok


def test_agents_not_pointed_at_this_machine_are_not_reported(user_home: Path) -> None:
    settings_file = user_home / ".claude" / "settings.json"
    settings_file.parent.mkdir()
    settings_file.write_bytes(orjson.dumps({"env": {"ANTHROPIC_BASE_URL": "https://gw.example"}}))
    assert agent_checks(_port_settings(8787)) == []
    names = [c.name for c in run_checks(_port_settings(free_port()))]
    assert names == NAMES[1:]


def test_a_wrapped_config_edited_afterwards_fails_with_a_fix(
    user_home: Path, _isolated_home: Path
) -> None:
    claude.AGENT.launch("http://127.0.0.1:8787", [], persist=True, home=_isolated_home)
    assert manifest.load(_isolated_home, "claude")
    claude.settings_path().write_text("{}")
    (check,) = agent_checks(_port_settings(8787))
    assert not check.ok and "no longer names a base URL" in check.detail
    assert "headroom unwrap claude" in check.fix


def test_a_shell_base_url_on_this_machine_is_checked(
    user_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8787")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://localhost:8787")
    checks = {c.name: c for c in agent_checks(_port_settings(8787))}
    assert checks["shell ANTHROPIC_BASE_URL"].ok
    openai = checks["shell OPENAI_BASE_URL"]
    assert not openai.ok and openai.fix == "export OPENAI_BASE_URL=http://127.0.0.1:8787/v1"


def test_marks_fall_back_to_ascii_and_failures_carry_their_fix() -> None:
    assert marks("utf-8") == ("✓", "✗")
    assert marks("ascii") == ("ok  ", "FAIL")
    settings = load_settings(upstream_openai="nope")
    line = format_check(check_upstreams(settings), *marks("ascii"))
    assert line.startswith("FAIL upstream: ") and " -- fix: set HEADROOM_UPSTREAM_OPENAI" in line
    line.encode("ascii")
