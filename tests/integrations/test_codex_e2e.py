"""The real Codex CLI through `headroom wrap codex`, against the fake upstream.

`headroom wrap codex --bin .e2e/.../codex -- exec ...` finds the proxy this
test serves (`default_app` on a free loopback port, forwarding to a
`FakeUpstream`) through `HEADROOM_PORT`, and launches the Codex CLI pinned in
the Makefile (`make e2e-tools`) pointed at it. The fake scripts one
`exec_command` call that prints a long log, then a final answer; Codex runs
the command for real, sends its output back, and prints the answer.

Offline and isolated: HOME and CODEX_HOME are temporary folders, the API key is
a dummy, the sandbox is off (the command only reads a file in a temporary
folder, and Codex's bubblewrap sandbox needs user namespaces some CI runners
forbid), and plugins and analytics are disabled, which are the only things
that make Codex look up hosts on the internet (github.com, chatgpt.com).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headroom.ccr import marker_ids
from headroom.config import load_settings
from headroom.runtime import Runtime, build_runtime
from headroom.testing import FakeUpstream, RecordedRequest, Reply
from tests.conftest import ROOT, in_ci
from tests.proxy.conftest import Served, big_log
from tests.proxy.wired import serve_default, tool_names

CODEX = ROOT / ".e2e" / "node_modules" / ".bin" / "codex"
KEY = "sk-test-codex-e2e"
PROMPT = "What failed in app.log?"
ANSWER = "Request id=4242 failed: the connection was reset."
NEEDLE = "ERROR worker-3 request id=4242 failed: connection reset"
#: In Codex 0.169's model catalog, with plain function tools (`exec_command` among
#: them). Its default model instead hides the tools in a JavaScript `exec` tool, and
#: a model missing from the catalog (`gpt-5`) gets a 10 kB cap on tool output.
MODEL = "gpt-5.5"
#: A log Codex passes on whole (under the model's 10,000-token cap) and Headroom cuts.
LOG = big_log(400) + f"\n2024-01-01T00:10:00 {NEEDLE}\n"
#: Generous: a cold start of the CLI on a busy CI machine; a run takes about a second here.
TIMEOUT_S = 120

#: What keeps the run offline and independent of the machine (see the module docstring).
OFFLINE_ARGS = [
    "--skip-git-repo-check",
    "--color",
    "never",
    "--sandbox",
    "danger-full-access",
    "--disable",
    "plugins",
    "-c",
    "analytics.enabled=false",
    "-m",
    MODEL,
]


@pytest.fixture
def codex_bin() -> Path:
    """The pinned Codex CLI; skips (fails under CI=true) when it is not installed."""
    missing = None
    if shutil.which("node") is None:
        missing = "node is not on PATH"
    elif not os.access(CODEX, os.X_OK):
        missing = f"the Codex CLI is not installed at {CODEX}; run `make e2e-tools`"
    if missing:
        if in_ci():
            pytest.fail(f"CI=true but {missing}")
        pytest.skip(missing)
    return CODEX


@pytest.fixture
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """One runtime (memory store) for the module: the tokenizer loads once."""
    home = tmp_path_factory.mktemp("codex-e2e-runtime")
    return build_runtime(load_settings(store="memory", raise_errors=True, home=str(home)))


@pytest.fixture
def served(up: FakeUpstream, runtime: Runtime) -> Iterator[Served]:
    with serve_default(up, runtime) as app:
        yield app


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A throwaway HOME holding Codex's folder and a workspace with the log."""
    (tmp_path / "home" / ".codex").mkdir(parents=True)
    work = tmp_path / "home" / "work"
    work.mkdir()
    (work / "app.log").write_text(LOG)
    return tmp_path / "home"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _environment(home: Path, port: int) -> dict[str, str]:
    """This process's environment (HEADROOM_HOME included) for the wrap, made hermetic."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    env.update(
        HOME=str(home),
        CODEX_HOME=str(home / ".codex"),
        OPENAI_API_KEY=KEY,
        HEADROOM_HOST="127.0.0.1",
        HEADROOM_PORT=str(port),
    )
    return env


def _wrap(codex: Path, home: Path, port: int, *options: str) -> subprocess.CompletedProcess[str]:
    """`headroom wrap codex [options] --bin CODEX -- exec ... PROMPT`, run in the workspace."""
    work = home / "work"
    argv = [sys.executable, "-m", "headroom", "wrap", "codex", *options, "--bin", str(codex)]
    argv += ["--", "exec", *OFFLINE_ARGS, "-C", str(work), PROMPT]
    return subprocess.run(
        argv,
        env=_environment(home, port),
        cwd=work,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def _unwrap(home: Path, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "headroom", "unwrap", "codex"],
        env=_environment(home, port),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def _script(up: FakeUpstream) -> None:
    up.script(Reply.tool_call("exec_command", {"cmd": "cat app.log"}), Reply.text(ANSWER))


def _model_requests(up: FakeUpstream) -> list[RecordedRequest]:
    return [r for r in up.requests if r.method == "POST" and r.path == "/v1/responses"]


def _tool_output(request: RecordedRequest) -> str:
    """The output of the one `exec_command` call in a Responses request's input."""
    items: list[dict[str, Any]] = request.json()["input"]
    calls = {i["call_id"] for i in items if i.get("type") == "function_call"}
    outputs = [i for i in items if i.get("type") == "function_call_output"]
    assert len(outputs) == 1 and outputs[0]["call_id"] in calls, outputs
    output = outputs[0]["output"]
    assert isinstance(output, str)
    return output


def _assert_through_headroom(
    up: FakeUpstream, runtime: Runtime, run: subprocess.CompletedProcess[str]
) -> None:
    """Codex reached the fake through the proxy, its tool output compressed, and answered."""
    assert run.returncode == 0, run.stderr[-4000:]
    assert ANSWER in run.stdout
    first, second = _model_requests(up)
    assert first.headers["authorization"] == f"Bearer {KEY}"
    sent_tools = first.json()["tools"]
    assert "exec_command" in tool_names([t for t in sent_tools if "name" in t])
    assert sent_tools[-1]["name"] == "headroom_retrieve"
    assert PROMPT in first.content().decode()
    output = _tool_output(second)
    assert NEEDLE in output
    assert len(output) < len(LOG) // 4
    (ccr_id,) = set(marker_ids(output))
    original = runtime.ccr.get(ccr_id)
    assert original is not None
    assert "processed request id=399 status=ok" in original.text


def test_codex_exec_through_wrap_reaches_the_fake_compressed_and_prints_the_answer(
    codex_bin: Path, up: FakeUpstream, served: Served, home: Path, runtime: Runtime
) -> None:
    _script(up)
    run = _wrap(codex_bin, home, _port(served.url))
    _assert_through_headroom(up, runtime, run)
    assert not (home / ".codex" / "config.toml").exists()


def test_persisted_wrap_runs_codex_from_its_config_and_unwrap_restores_it(
    codex_bin: Path, up: FakeUpstream, served: Served, home: Path, runtime: Runtime
) -> None:
    config = home / ".codex" / "config.toml"
    original = b'# mine\nmodel = "gpt-5"\n\n[profiles.fast]\nmodel = "gpt-5-mini"\n'
    config.write_bytes(original)
    _script(up)
    run = _wrap(codex_bin, home, _port(served.url), "--persist")
    _assert_through_headroom(up, runtime, run)
    assert "headroom unwrap codex" in run.stderr
    persisted = tomllib.loads(config.read_text())
    assert persisted["model_provider"] == "headroom"
    unwrap = _unwrap(home, _port(served.url))
    assert unwrap.returncode == 0, unwrap.stderr
    assert str(config) in unwrap.stderr
    assert config.read_bytes() == original


def test_a_persisted_codex_with_the_proxy_down_runs_direct_on_its_old_provider(
    codex_bin: Path,
    up: FakeUpstream,
    served: Served,
    home: Path,
    runtime: Runtime,
    squatter: int,
) -> None:
    """The published Headroom left Codex pointing at a dead proxy; this wrap does not."""
    config = home / ".codex" / "config.toml"
    original = (
        'model_provider = "local"\n\n[model_providers.local]\nname = "Local"\n'
        f'base_url = "{up.url}/v1"\nenv_key = "OPENAI_API_KEY"\nwire_api = "responses"\n'
    ).encode()
    config.write_bytes(original)
    _script(up)
    _assert_through_headroom(up, runtime, _wrap(codex_bin, home, _port(served.url), "--persist"))
    up.clear()
    _script(up)
    run = _wrap(codex_bin, home, squatter)
    assert run.returncode == 0, run.stderr[-4000:]
    assert ANSWER in run.stdout
    assert "proxy not available" in run.stderr
    first, second = _model_requests(up)
    assert "headroom_retrieve" not in tool_names([t for t in first.json()["tools"] if "name" in t])
    assert LOG.strip() in _tool_output(second)
    assert not marker_ids(_tool_output(second))
    assert _unwrap(home, squatter).returncode == 0
    assert config.read_bytes() == original
