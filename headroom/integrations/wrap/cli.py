"""`headroom wrap AGENT [-- args]` and `headroom unwrap AGENT`.

wrap reads top to bottom: find the agent and its binary, get a healthy proxy
(or say in one line why there is none and go without it), ask the agent spec
how to launch, run the agent with the terminal attached, exit with its code.
While the agent runs, wrap ignores Ctrl-C (the terminal delivers it to the
agent, which decides what it means) and passes SIGTERM and SIGHUP on to it.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Annotated, NoReturn

import typer

from headroom.config import ConfigError, child_environment, load_settings
from headroom.integrations.wrap.base import (
    AGENTS,
    Agent,
    CannotPersist,
    UnknownAgent,
    get_agent,
)
from headroom.integrations.wrap.proxy_process import ProxyAddress, ProxyUnavailable, ensure_proxy

_AGENT_NAMES = ", ".join(sorted(AGENTS))


def register(app: typer.Typer) -> None:
    """Add `wrap` and `unwrap` to the `headroom` command line."""
    app.command("wrap")(wrap)
    app.command("unwrap")(unwrap)


def wrap(
    agent: Annotated[str, typer.Argument(help=f"The agent: {_AGENT_NAMES}.")],
    agent_args: Annotated[
        list[str] | None, typer.Argument(help="Arguments for the agent, after --.")
    ] = None,
    persist: Annotated[
        bool,
        typer.Option(
            "--persist", help="Also point the agent's own config at the proxy (undo: unwrap)."
        ),
    ] = False,
    port: Annotated[int | None, typer.Option(help="Proxy port (default: the setting).")] = None,
    binary: Annotated[
        str | None, typer.Option("--bin", help="The agent's executable (default: on PATH).")
    ] = None,
) -> None:
    """Run a coding agent through the Headroom proxy, starting the proxy if needed."""
    spec = _agent(agent)
    executable = shutil.which(binary or spec.binary)
    if executable is None:
        _fail(f"cannot find {binary or spec.binary!r}; install {agent} or pass --bin PATH", 127)
    try:
        settings = load_settings(proxy_port=port)
    except ConfigError as exc:
        _fail(str(exc), 2)
    address = ProxyAddress(settings.proxy_host, settings.proxy_port, settings.home_path)
    try:
        base_url: str | None = ensure_proxy(address, deadline_s=settings.wrap_wait_s)
    except ProxyUnavailable as exc:
        sys.stderr.write(f"headroom: proxy not available ({exc}); starting {agent} without it\n")
        base_url = None
    try:
        launch = spec.launch(
            base_url,
            agent_args or [],
            persist=persist and base_url is not None,
            home=settings.home_path,
        )
    except CannotPersist as exc:
        _fail(str(exc), 2)
    if persist and base_url is None:
        sys.stderr.write("headroom: --persist skipped: no proxy to point the config at\n")
    if launch.note:
        sys.stderr.write(f"headroom: {launch.note}\n")
    try:
        code = run_attached([executable, *launch.argv[1:]], child_environment() | launch.env)
    finally:
        if launch.cleanup is not None:
            launch.cleanup()
    raise typer.Exit(code)


def unwrap(
    agent: Annotated[str, typer.Argument(help=f"The agent: {_AGENT_NAMES}.")],
) -> None:
    """Undo what `headroom wrap AGENT --persist` changed, byte for byte."""
    done = _agent(agent).unwrap(load_settings().home_path)
    for line in done or [f"nothing to undo for {agent}"]:
        sys.stderr.write(f"headroom: {line}\n")


def run_attached(argv: Sequence[str], env: dict[str, str]) -> int:
    """Run `argv` on this terminal and return its exit code (128+N for signal N)."""
    process: subprocess.Popen[bytes] | None = None

    def forward(signum: int, frame: FrameType | None) -> None:
        if process is not None:
            process.send_signal(signum)

    def ignore(signum: int, frame: FrameType | None) -> None:
        """Ctrl-C reaches the agent from the terminal; wrap just keeps waiting."""

    handlers = {signal.SIGINT: ignore, signal.SIGTERM: forward}
    if hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = forward
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        process = subprocess.Popen(list(argv), env=env)
        code = process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def _agent(name: str) -> Agent:
    try:
        return get_agent(name)
    except UnknownAgent as exc:
        _fail(str(exc), 2)


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"headroom: {message}\n")
    raise typer.Exit(code)
