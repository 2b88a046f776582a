"""`headroom wrap` and `headroom unwrap` run as a user runs them, with a fake agent.

The fake agent is a small script that prints its arguments and the variables
wrap sets, then exits with a chosen code, so each test sees exactly what the
agent was given. Proxies started here are stopped when the test ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom.integrations.wrap.proxy_process import ProxyAddress, stop_proxy
from tests.cli.running import free_port

FAKE_AGENT = """#!{python}
import json, os, sys, time
seen = {{k: os.environ.get(k) for k in ("ANTHROPIC_BASE_URL", "HEADROOM_HOME")}}
print(json.dumps({{"argv": sys.argv[1:], "env": seen}}), flush=True)
if os.environ.get("FAKE_AGENT_WAIT"):
    open(os.environ["FAKE_AGENT_WAIT"] + ".ready", "w").close()
    while not os.path.exists(os.environ["FAKE_AGENT_WAIT"]):
        time.sleep(0.02)
sys.exit(int(os.environ.get("FAKE_AGENT_EXIT", "3")))
"""


@pytest.fixture
def fake_agent(tmp_path: Path) -> Path:
    path = tmp_path / "fake-agent"
    path.write_text(FAKE_AGENT.format(python=sys.executable))
    path.chmod(0o755)
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment for `headroom`: a throwaway HOME and Headroom home, memory store."""
    home = tmp_path / "user"
    home.mkdir()
    # A loaded CI machine can take longer than the default 5 s to start a proxy.
    values = dict(os.environ, HOME=str(home), HEADROOM_STORE="memory", HEADROOM_WRAP_WAIT="60")
    values.pop("ANTHROPIC_BASE_URL", None)
    return values


@pytest.fixture
def port(env: dict[str, str]) -> Iterator[int]:
    """A free port for wrap's proxy, stopped after the test."""
    chosen = free_port()
    yield chosen
    stop_proxy(ProxyAddress("127.0.0.1", chosen, Path(env["HEADROOM_HOME"])))


def headroom(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "headroom", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


def agent_report(stdout: str) -> dict[str, object]:
    report: dict[str, object] = json.loads(stdout.splitlines()[0])
    return report


def test_with_the_port_blocked_wrap_launches_the_agent_direct_and_says_so_once(
    fake_agent: Path, env: dict[str, str], squatter: int
) -> None:
    result = headroom(
        "wrap",
        "claude",
        "--bin",
        str(fake_agent),
        "--port",
        str(squatter),
        "--",
        "-p",
        "hi",
        env=env,
    )

    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("headroom: proxy not available (")
    assert lines[0].endswith("; starting claude without it")
    report = agent_report(result.stdout)
    assert report["argv"] == ["-p", "hi"]
    assert report["env"] == {"ANTHROPIC_BASE_URL": None, "HEADROOM_HOME": env["HEADROOM_HOME"]}


def test_wrap_points_the_agent_at_a_started_proxy_and_returns_its_exit_code(
    fake_agent: Path, env: dict[str, str], port: int
) -> None:
    env["FAKE_AGENT_EXIT"] = "5"

    result = headroom(
        "wrap",
        "claude",
        "--bin",
        str(fake_agent),
        "--port",
        str(port),
        "--",
        "-p",
        "--x",
        env=env,
    )

    assert result.returncode == 5, result.stderr
    assert result.stderr == ""
    report = agent_report(result.stdout)
    assert report["argv"] == ["-p", "--x"]
    assert report["env"] == {
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
        "HEADROOM_HOME": env["HEADROOM_HOME"],
    }
    assert (Path(env["HEADROOM_HOME"]) / f"proxy-{port}.pid").is_file()


def test_wrap_finds_the_agent_on_path(fake_agent: Path, env: dict[str, str], squatter: int) -> None:
    fake_agent.rename(fake_agent.with_name("claude"))
    env["PATH"] = f"{fake_agent.parent}{os.pathsep}{env['PATH']}"

    result = headroom("wrap", "claude", "--port", str(squatter), env=env)

    assert result.returncode == 3
    assert agent_report(result.stdout)["argv"] == []


def test_wrap_persist_and_unwrap_through_the_command_line(
    fake_agent: Path, env: dict[str, str], port: int
) -> None:
    settings = Path(env["HOME"]) / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(b'{"model":"opus"}')

    wrapped = headroom(
        "wrap", "claude", "--persist", "--bin", str(fake_agent), "--port", str(port), env=env
    )

    assert wrapped.returncode == 3
    assert "unwrap claude" in wrapped.stderr
    assert json.loads(settings.read_bytes())["env"] == {
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}"
    }

    unwrapped = headroom("unwrap", "claude", env=env)

    assert unwrapped.returncode == 0
    assert f"restored {settings}" in unwrapped.stderr
    assert settings.read_bytes() == b'{"model":"opus"}'
    again = headroom("unwrap", "claude", env=env)
    assert "nothing to undo for claude" in again.stderr


def test_a_config_wrap_cannot_edit_safely_stops_wrap_before_the_agent_runs(
    fake_agent: Path, env: dict[str, str], port: int
) -> None:
    settings = Path(env["HOME"]) / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(b"{ not json")

    result = headroom(
        "wrap", "claude", "--persist", "--bin", str(fake_agent), "--port", str(port), env=env
    )

    assert result.returncode == 2
    assert "not plain JSON" in result.stderr
    assert result.stdout == ""  # the agent never started
    assert settings.read_bytes() == b"{ not json"


def test_persist_is_skipped_without_a_proxy(
    fake_agent: Path, env: dict[str, str], squatter: int
) -> None:
    result = headroom(
        "wrap", "claude", "--persist", "--bin", str(fake_agent), "--port", str(squatter), env=env
    )

    assert result.returncode == 3
    assert "--persist skipped" in result.stderr
    assert not (Path(env["HOME"]) / ".claude").exists()


def test_an_unknown_agent_exits_2_with_the_known_names(env: dict[str, str]) -> None:
    result = headroom("wrap", "cursor", env=env)

    assert result.returncode == 2
    assert "unknown agent 'cursor'" in result.stderr
    assert "claude" in result.stderr


def test_a_missing_agent_binary_exits_127_with_what_to_do(env: dict[str, str]) -> None:
    result = headroom("wrap", "aider", "--bin", "/nonexistent/aider", env=env)

    assert result.returncode == 127
    assert "--bin PATH" in result.stderr


def test_sigterm_to_wrap_reaches_the_agent_and_ctrl_c_does_not_end_wrap(
    fake_agent: Path, env: dict[str, str], squatter: int, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    env["FAKE_AGENT_WAIT"] = str(gate)
    env["FAKE_AGENT_EXIT"] = "0"
    argv = ["wrap", "claude", "--bin", str(fake_agent), "--port", str(squatter)]
    wrap = subprocess.Popen(
        [sys.executable, "-m", "headroom", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(gate.with_name("gate.ready"))
        wrap.send_signal(signal.SIGINT)  # to wrap alone: it keeps waiting for the agent
        wrap.send_signal(signal.SIGTERM)  # passed on: the agent ends with it
        code = wrap.wait(timeout=30)
    finally:
        gate.touch()  # never leave the agent waiting, whatever happened
        wrap.kill()
        wrap.communicate()

    assert code == 128 + signal.SIGTERM


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
