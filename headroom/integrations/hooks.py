"""Claude Code hooks mode: compression for users who do not want a proxy.

`headroom hooks install` adds one PostToolUse hook to Claude Code's settings
(`~/.claude/settings.json`, or `.claude/settings.json` in the project):

    {"matcher": "Bash|Read|Grep|WebFetch|mcp__.*",
     "hooks": [{"type": "command", "command": "<headroom> hooks run post-tool-use"}]}

and registers the MCP server, so the model can call `headroom_retrieve` on
the markers. After each matching tool call, Claude Code runs
`headroom hooks run post-tool-use` with the call as JSON on stdin; large
outputs come back compressed through `hookSpecificOutput.updatedToolOutput`,
in the tool's own output shape (see `tool_output`), and their originals go
to the store the MCP server reads (the SQLite file under the Headroom home by
default). Small outputs, other tools and anything not understood print
nothing, which leaves the output as it was.

A Bash output past Claude Code's inline cap reaches the hook truncated, with
the whole of it saved to a file; the model would see a 2 KB preview and the
path. The hook compresses the saved whole instead and, when that fits inline,
hands it back without the saved-file fields, so the model sees every error
line of a 150 KB log rather than its first 2 KB.

The hook runs on every matching tool call, so it is cheap when it has nothing
to do: settings are read and the size checked before the runtime (tokenizer,
store) is built. It never fails the tool: bad input is ignored, and an
internal error is logged and swallowed through `guarded` (re-raised under
tests).

`headroom hooks uninstall` restores the settings file byte for byte (see
`claude_settings`) and takes out the MCP server if the install added it.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import orjson
import typer

from headroom.config import ConfigError, Settings, load_settings
from headroom.guard import guarded
from headroom.integrations.claude_settings import (
    Change,
    ClaudeConfigError,
    Reverted,
    apply,
    manifest_for,
    read_object,
    revert,
)
from headroom.integrations.tool_output import (
    INLINE_CHARS,
    Compress,
    inlined,
    persisted_path,
    rewrite,
    texts,
)
from headroom.mcp.cli import ScopeOption, where
from headroom.mcp.install import (
    ClaudeCLIError,
    Scope,
    Where,
    headroom_argv,
)
from headroom.mcp.install import install as install_mcp
from headroom.mcp.install import uninstall as uninstall_mcp
from headroom.policy import Policy, policy_for

if TYPE_CHECKING:
    from headroom.runtime import Runtime

__all__ = [
    "MATCHER",
    "hook_command",
    "install",
    "post_tool_use",
    "register",
    "settings_file",
    "uninstall",
]

#: The tools whose outputs are worth compressing (Glob's file list has no text
#: field to shorten; Headroom's own MCP tools are skipped by the tool policy).
MATCHER = "Bash|Read|Grep|WebFetch|mcp__.*"
HOOK_ARGS = ("hooks", "run", "post-tool-use")
HOOK_TIMEOUT_S = 30
#: Larger saved outputs are left to Claude Code's own preview (keeps the hook fast).
MAX_SAVED_BYTES = 8 * 1024 * 1024
EVENT = "PostToolUse"


def settings_file(scope: Scope, where: Where) -> Path:
    """Claude Code's settings file for `scope`."""
    base = where.home if scope is Scope.USER else where.cwd
    return base / ".claude" / "settings.json"


def hook_command(argv: list[str]) -> str:
    """The hook's shell command: this Headroom, by absolute path."""
    return shlex.join([*argv, *HOOK_ARGS])


def install(scope: Scope, where: Where, *, claude: str | None, argv: list[str]) -> list[str]:
    """Add the hook and register the MCP server; returns what was done, one line each."""
    path = settings_file(scope, where)
    _, current = read_object(path)  # refuse a broken file before changing anything
    if _ours_in(current):
        return [f"the Headroom hook is already in {path}; nothing to do"]
    add = _adder(hook_command(argv))
    add(current)  # a throwaway copy: refuses a file of the wrong shape before anything changes
    registered = install_mcp(scope, where, claude=claude, argv=argv)
    manifest = manifest_for(where.headroom_home, "hooks", path)
    apply(path, add, manifest, note={"mcp": registered.via})
    return [f"added a {EVENT} hook for {MATCHER} to {path}", *registered.lines]


def uninstall(scope: Scope, where: Where, *, claude: str | None) -> list[str]:
    """Undo `install`: the settings file back as it was, the MCP server out if it added it."""
    path = settings_file(scope, where)
    outcome, note = revert(path, _remove_ours, manifest_for(where.headroom_home, "hooks", path))
    lines = [_reverted_line(outcome, path)]
    if note.get("mcp"):
        lines.extend(uninstall_mcp(scope, where, claude=claude))
    return lines


def _adder(command: str) -> Change:
    def add(data: dict[str, Any]) -> bool:
        hooks = data.setdefault("hooks", {})
        if not isinstance(hooks, dict):
            raise ClaudeConfigError(
                f'"hooks" in Claude Code\'s settings is not an object: {hooks!r}'
            )
        groups = hooks.setdefault(EVENT, [])
        if not isinstance(groups, list):
            raise ClaudeConfigError(f'"hooks.{EVENT}" is not a list: {groups!r}')
        handler = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_S}
        groups.append({"matcher": MATCHER, "hooks": [handler]})
        return True

    return add


def _is_ours(handler: Any) -> bool:
    command = handler.get("command") if isinstance(handler, Mapping) else None
    return isinstance(command, str) and command.endswith(" " + " ".join(HOOK_ARGS))


def _groups(data: Mapping[str, Any]) -> list[Any] | None:
    hooks = data.get("hooks")
    groups = hooks.get(EVENT) if isinstance(hooks, dict) else None
    return groups if isinstance(groups, list) else None


def _handlers(group: Any) -> list[Any]:
    handlers = group.get("hooks") if isinstance(group, dict) else None
    return handlers if isinstance(handlers, list) else []


def _ours_in(data: Mapping[str, Any]) -> bool:
    return any(_is_ours(h) for g in _groups(data) or [] for h in _handlers(g))


def _remove_ours(data: dict[str, Any]) -> bool:
    """Take Headroom's handlers (and groups left empty) out of `data`; False if none."""
    groups = _groups(data)
    if groups is None or not _ours_in(data):
        return False
    kept = []
    for group in groups:
        handlers = _handlers(group)
        if any(_is_ours(h) for h in handlers):
            group["hooks"] = [h for h in handlers if not _is_ours(h)]
            if not group["hooks"]:
                continue
        kept.append(group)
    if kept:
        data["hooks"][EVENT] = kept
    else:
        del data["hooks"][EVENT]
    return True


def _reverted_line(outcome: Reverted, path: Path) -> str:
    if outcome is Reverted.RESTORED:
        return f"restored {path} to what it was before the install"
    if outcome is Reverted.REMOVED:
        return f"removed the Headroom hook from {path} (it had changed since; the rest is kept)"
    return f"no Headroom hook in {path}; nothing to do"


def post_tool_use(payload: bytes, settings: Settings) -> dict[str, Any] | None:
    """The hook's reply to one PostToolUse event, or None to leave the output alone."""
    event = _event(payload)
    if event is None:
        return None
    tool, tool_input, output = event
    if policy_for(tool, settings.tool_policy) is Policy.NEVER:
        return None
    if all(len(text) < settings.min_tokens for text in texts(tool, output)):
        return None  # fewer characters than min_tokens cannot reach min_tokens tokens
    from headroom.runtime import get_runtime

    compress = _compressor(get_runtime())
    saved = persisted_path(tool, output)
    if saved is not None:
        updated = _from_saved_file(Path(saved), tool, tool_input, output, compress)
    else:
        updated = rewrite(tool, tool_input, output, compress)
    if updated is None:
        return None
    return {"hookSpecificOutput": {"hookEventName": EVENT, "updatedToolOutput": updated}}


def _from_saved_file(
    path: Path, tool: str, tool_input: Mapping[str, Any], output: Any, compress: Compress
) -> Any | None:
    """Compress the whole output Claude Code saved, if it then fits inline.

    Otherwise Claude Code's own preview and file path stay: the model can page
    through the file, which a 2 KB preview of a compressed text would not help.
    """
    try:
        if path.stat().st_size > MAX_SAVED_BYTES:
            return None
        full = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    updated = rewrite(tool, tool_input, inlined(output, full), compress)
    if updated is None or len(updated["stdout"]) > INLINE_CHARS:
        return None
    return updated


def _event(payload: bytes) -> tuple[str, Mapping[str, Any], Any] | None:
    """(tool_name, tool_input, tool_response) of a PostToolUse event, or None."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("hook_event_name", EVENT) != EVENT:
        return None
    tool, tool_input = data.get("tool_name"), data.get("tool_input")
    if not isinstance(tool, str) or "tool_response" not in data:
        return None
    return tool, tool_input if isinstance(tool_input, dict) else {}, data["tool_response"]


def _compressor(runtime: Runtime) -> Compress:
    """Compress one text through the router, storing the original for retrieval."""
    from headroom.types import CompressContext, Origin

    def compress(text: str, origin: Origin, query: str | None) -> str | None:
        outcome = runtime.engine.compress(text, CompressContext(query=query, origin=origin))
        if not outcome.changed:
            return None
        if outcome.ccr_id:
            tool = origin.tool_name
            runtime.ccr.put(text, kind=outcome.kind, tool=tool, signature=outcome.signature)
        return outcome.text

    return compress


# --- the CLI ---------------------------------------------------------------


def register(app: typer.Typer) -> None:
    """Add `hooks install|uninstall|run post-tool-use` to the `headroom` CLI."""
    hooks = typer.Typer(help="Claude Code hooks mode: compress tool outputs without a proxy.")
    hooks.command("install")(install_command)
    hooks.command("uninstall")(uninstall_command)
    run = typer.Typer(help="The handlers Claude Code runs (hook JSON on stdin).")
    run.command("post-tool-use")(post_tool_use_command)
    hooks.add_typer(run, name="run", no_args_is_help=True)
    app.add_typer(hooks, name="hooks", no_args_is_help=True)


def install_command(scope: ScopeOption = Scope.USER) -> None:
    """Add the PostToolUse hook to Claude Code's settings and register the MCP server."""
    try:
        lines = install(scope, where(), claude=shutil.which("claude"), argv=headroom_argv())
        store = load_settings().store
    except (ClaudeCLIError, ClaudeConfigError, ConfigError, OSError) as exc:
        _fail(str(exc))
    for line in lines:
        typer.echo(line)
    if store == "memory":
        typer.echo(
            "note: the store is 'memory', so each hook run forgets what it stored and "
            "headroom_retrieve cannot find it; use the default sqlite store (or redis)"
        )


def uninstall_command(scope: ScopeOption = Scope.USER) -> None:
    """Restore the settings file exactly; unregister the MCP server if install added it."""
    try:
        lines = uninstall(scope, where(), claude=shutil.which("claude"))
    except (ClaudeCLIError, ClaudeConfigError, ConfigError, OSError) as exc:
        _fail(str(exc))
    for line in lines:
        typer.echo(line)


def post_tool_use_command() -> None:
    """Compress a tool's output for Claude Code: PostToolUse JSON in, hook reply out."""
    payload = sys.stdin.buffer.read()
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.stderr.write(f"headroom: {exc}\n")
        return
    reply = guarded(
        "hooks.post_tool_use",
        lambda: post_tool_use(payload, settings),
        None,
        raise_errors=settings.raise_errors,
    )
    if reply is not None:
        sys.stdout.buffer.write(orjson.dumps(reply))
        sys.stdout.flush()


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"headroom: {message}\n")
    raise typer.Exit(2)
