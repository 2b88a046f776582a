"""Claude Code hooks mode: `headroom hooks install|uninstall|run post-tool-use`.

Install and uninstall run against a temporary HOME and project folder with no
`claude` on PATH (the MCP server is then registered by editing
`~/.claude.json`). The hook itself is fed payloads in the shapes Claude Code
sends (`claude_payloads`), in-process and through the real entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from headroom.api import retrieve
from headroom.ccr import ccr_id, marker_ids
from headroom.cli import app
from headroom.config import load_settings
from headroom.integrations import hooks
from headroom.integrations.hooks import MATCHER, hook_command, post_tool_use
from headroom.integrations.tool_output import READ_NOTE
from headroom.mcp.install import headroom_argv
from tests.integrations import claude_payloads as payloads
from tests.mcp.fake_claude import calls, install_fake_claude
from tests.proxy.conftest import big_log

#: A settings file a user wrote by hand: other hooks, other keys, odd spacing.
ODD_SETTINGS = b"""{
    "model" :"opus",
  "permissions": {"allow": ["Bash(git diff:*)"]},
\t"hooks": {"PreToolUse": [{"matcher": "Bash",
    "hooks": [{"type": "command", "command": "audit.sh"}]}],
   "PostToolUse": [ {"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt.sh"}]} ]}
}
"""

NEEDLE = "2024-01-01T00:10:00 ERROR worker-3 request id=4242 failed: connection reset"
LOG = big_log(400) + "\n" + NEEDLE


def python_module(functions: int = 40) -> str:
    """A source file the code compressor cuts to signatures."""
    parts = ['"""A module."""\n\nimport os\n']
    for i in range(functions):
        body = "\n".join(f"    value_{j} = os.path.join('a', str({i} * {j}))" for j in range(8))
        parts.append(f"\ndef handler_{i}(request):\n    '''Handle {i}.'''\n{body}\n    return 1\n")
    return "".join(parts)


def grep_lines(lines: int = 500) -> str:
    return "\n".join(
        f"src/pkg/mod_{i % 40}.py:{i}:    result = compute_value_{i}(request, timeout={i % 9})"
        for i in range(lines)
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME and project folder, and a PATH with no `claude` on it."""
    home = tmp_path / "user"
    home.mkdir()
    (tmp_path / "project").mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.chdir(tmp_path / "project")
    return home


def headroom(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


# --- install / uninstall ----------------------------------------------------------------


def test_install_adds_the_hook_and_keeps_everything_else(home: Path) -> None:
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(ODD_SETTINGS)

    result = headroom("hooks", "install")
    assert result.exit_code == 0, result.output
    data = json.loads(settings.read_bytes())
    before = json.loads(ODD_SETTINGS)
    assert data["model"] == "opus" and data["permissions"] == before["permissions"]
    assert data["hooks"]["PreToolUse"] == before["hooks"]["PreToolUse"]
    edit, ours = data["hooks"]["PostToolUse"]
    assert edit == before["hooks"]["PostToolUse"][0]
    assert ours["matcher"] == MATCHER
    (handler,) = ours["hooks"]
    assert handler["type"] == "command"
    assert handler["command"] == hook_command(headroom_argv())
    assert Path(headroom_argv()[0]).is_absolute()
    # and the MCP server, so the model can call headroom_retrieve on the markers
    servers = json.loads((home / ".claude.json").read_bytes())["mcpServers"]
    assert servers["headroom"]["args"][-2:] == ["mcp", "serve"]


def test_uninstall_restores_the_settings_file_byte_for_byte(home: Path) -> None:
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(ODD_SETTINGS)
    assert headroom("hooks", "install").exit_code == 0
    assert settings.read_bytes() != ODD_SETTINGS

    result = headroom("hooks", "uninstall")
    assert result.exit_code == 0, result.output
    assert settings.read_bytes() == ODD_SETTINGS
    assert not (home / ".claude.json").exists()  # the MCP registration is gone too
    assert list((load_settings().home_path / "integrations").iterdir()) == []


def test_uninstall_when_there_was_no_settings_file_removes_what_install_created(
    home: Path,
) -> None:
    assert headroom("hooks", "install").exit_code == 0
    assert (home / ".claude" / "settings.json").is_file()
    assert headroom("hooks", "uninstall").exit_code == 0
    assert list(home.iterdir()) == []


def test_installing_twice_adds_one_hook(home: Path) -> None:
    headroom("hooks", "install")
    result = headroom("hooks", "install")
    assert result.exit_code == 0
    assert "already" in result.output
    data = json.loads((home / ".claude" / "settings.json").read_bytes())
    assert len(data["hooks"]["PostToolUse"]) == 1


def test_project_scope_uses_the_project_folder(home: Path) -> None:
    project = Path.cwd()
    assert headroom("hooks", "install", "--scope", "project").exit_code == 0
    assert (project / ".claude" / "settings.json").is_file()
    assert "headroom" in json.loads((project / ".mcp.json").read_bytes())["mcpServers"]
    assert not (home / ".claude").exists()
    assert headroom("hooks", "uninstall", "--scope", "project").exit_code == 0
    assert list(project.iterdir()) == []


def test_uninstall_after_the_file_changed_takes_out_only_the_hook(home: Path) -> None:
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(ODD_SETTINGS)
    headroom("hooks", "install")
    data = json.loads(settings.read_bytes())
    data["model"] = "sonnet"  # the user changed a setting with /config meanwhile
    settings.write_text(json.dumps(data))

    result = headroom("hooks", "uninstall")
    assert result.exit_code == 0
    assert "the rest is kept" in result.output
    expected = json.loads(ODD_SETTINGS) | {"model": "sonnet"}
    assert json.loads(settings.read_bytes()) == expected


def test_an_mcp_server_registered_before_is_left_registered(home: Path, tmp_path: Path) -> None:
    log = install_fake_claude(tmp_path / "bin")
    assert headroom("mcp", "install").exit_code == 0
    assert headroom("hooks", "install").exit_code == 0
    assert headroom("hooks", "uninstall").exit_code == 0
    assert [c["argv"][1] for c in calls(log)] == ["add"]  # never removed
    assert "headroom" in json.loads((home / ".claude.json").read_bytes())["mcpServers"]


def test_with_the_cli_on_path_the_server_is_registered_and_removed_through_it(
    home: Path, tmp_path: Path
) -> None:
    log = install_fake_claude(tmp_path / "bin")
    assert headroom("hooks", "install").exit_code == 0
    assert headroom("hooks", "uninstall").exit_code == 0
    assert [c["argv"][:2] for c in calls(log)] == [["mcp", "add"], ["mcp", "remove"]]


@pytest.mark.parametrize(
    ("broken", "message"),
    [(b'{"hooks": ', "not valid JSON"), (b'{"hooks": ["x"]}', "is not an object")],
)
def test_a_broken_settings_file_is_refused_and_nothing_is_registered(
    home: Path, broken: bytes, message: str
) -> None:
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(broken)
    result = headroom("hooks", "install")
    assert result.exit_code == 2
    assert message in result.output
    assert settings.read_bytes() == broken
    assert not (home / ".claude.json").exists()


# --- the hook ---------------------------------------------------------------------------


def run_hook(event: dict[str, Any]) -> dict[str, Any] | None:
    return post_tool_use(orjson.dumps(event), load_settings())


def updated(event: dict[str, Any]) -> Any:
    reply = run_hook(event)
    assert reply is not None
    assert reply["hookSpecificOutput"]["hookEventName"] == "PostToolUse"
    return reply["hookSpecificOutput"]["updatedToolOutput"]


def test_bash_stdout_is_compressed_in_place_and_retrievable() -> None:
    event = payloads.bash(LOG, stderr="warning: deprecated flag\n")
    output = updated(event)
    original = event["tool_response"]
    assert output.keys() == original.keys()
    assert {k: v for k, v in output.items() if k != "stdout"} == {
        k: v for k, v in original.items() if k != "stdout"
    }  # stderr is small: as it came
    assert NEEDLE in output["stdout"] and len(output["stdout"]) < len(LOG) / 3
    (ccr,) = marker_ids(output["stdout"])
    assert retrieve(ccr) == LOG
    assert NEEDLE in retrieve(ccr, query="4242")


def test_a_bash_output_claude_code_saved_to_a_file_is_compressed_whole_and_shown_inline(
    tmp_path: Path,
) -> None:
    full = big_log(2000) + "\n" + NEEDLE  # the needle is past the 30,000 characters kept
    saved = tmp_path / "tool-results" / "b59gzyv9a.txt"
    saved.parent.mkdir()
    saved.write_text(full)
    output = updated(payloads.bash_saved(full, str(saved)))
    assert set(output) == {"stdout", "stderr", "interrupted", "isImage", "noOutputExpected"}
    assert NEEDLE in output["stdout"] and len(output["stdout"]) < 2000
    assert marker_ids(output["stdout"]) == [ccr_id(full)]
    assert retrieve(ccr_id(full)) == full


def test_a_saved_output_is_left_to_claude_code_when_unreadable_or_still_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = big_log(2000)
    assert run_hook(payloads.bash_saved(full, str(tmp_path / "gone.txt"))) is None
    saved = tmp_path / "saved.txt"
    saved.write_text(full)
    monkeypatch.setattr(hooks, "INLINE_CHARS", 100)  # the compressed log is larger than this
    assert run_hook(payloads.bash_saved(full, str(saved))) is None


def test_bash_stderr_is_compressed_on_its_own() -> None:
    output = updated(payloads.bash("done\n", stderr=LOG))
    assert output["stdout"] == "done\n"
    assert marker_ids(output["stderr"]) and NEEDLE in output["stderr"]


def test_read_keeps_the_file_object_and_compresses_only_the_content() -> None:
    source = python_module()
    event = payloads.read("/work/src/handlers.py", source)
    output = updated(event)
    assert output["type"] == "text"
    file, original = output["file"], event["tool_response"]["file"]
    assert {k: v for k, v in file.items() if k != "content"} == {
        k: v for k, v in original.items() if k != "content"
    }
    assert "def handler_39(request):" in file["content"]  # signatures are kept
    assert len(file["content"]) < len(source) / 2
    assert file["content"].endswith(READ_NOTE)
    (ccr,) = marker_ids(file["content"])[:1]
    assert retrieve(ccr) == source


def test_a_read_from_an_offset_is_left_alone() -> None:
    assert run_hook(payloads.read("/work/src/handlers.py", python_module(), start=200)) is None


def test_grep_content_is_compressed_and_keeps_its_fields() -> None:
    content = grep_lines()
    event = payloads.grep(content, pattern="compute_value")
    output = updated(event)
    assert {k: v for k, v in output.items() if k != "content"} == {
        k: v for k, v in event["tool_response"].items() if k != "content"
    }
    assert len(output["content"]) < len(content)
    (ccr,) = marker_ids(output["content"])
    assert retrieve(ccr) == content


def test_mcp_text_blocks_are_compressed_but_headroom_own_tools_never() -> None:
    blocks = [{"type": "text", "text": LOG}, {"type": "image", "data": "AAAA"}]
    output = updated(payloads.event("mcp__logs__tail", {"service": "web"}, blocks))
    assert output[1] == blocks[1]
    assert marker_ids(output[0]["text"])
    retrieved = payloads.event("mcp__headroom__headroom_retrieve", {"id": "hr_1"}, blocks)
    assert run_hook(retrieved) is None


@pytest.mark.parametrize(
    "event",
    [
        payloads.bash("line one\nline two\nerr"),  # small
        payloads.read("/work/a.py", "import os\n\ndef f():\n    return 1\n"),
        payloads.grep("a.py:3:def f():", pattern="def"),
        payloads.glob([f"src/mod_{i}.py" for i in range(100)]),  # no text field
        payloads.event("Edit", {"file_path": "/work/a.py"}, {"filePath": "/work/a.py"}),
        payloads.bash(LOG) | {"tool_response": {**payloads.bash(LOG)["tool_response"],
                                                 "isImage": True}},
        payloads.bash(LOG) | {"hook_event_name": "PreToolUse"},
        payloads.event("Bash", {"command": "x"}, "a plain string is not Bash's shape" * 100),
    ],
    ids=["small-bash", "small-read", "small-grep", "glob", "edit", "image", "pre", "shape"],
)  # fmt: skip
def test_small_outputs_and_unknown_shapes_are_left_alone(event: dict[str, Any]) -> None:
    assert run_hook(event) is None


@pytest.mark.parametrize("stdin", [b"", b"not json", b"[1, 2]", b'{"tool_name": 3}', b"\xff\xfe"])
def test_garbage_on_stdin_is_ignored(stdin: bytes) -> None:
    assert post_tool_use(stdin, load_settings()) is None


# --- through the real entry point -------------------------------------------------------


def run_entry_point(stdin: bytes, home: Path) -> subprocess.CompletedProcess[bytes]:
    """`headroom hooks run post-tool-use` exactly as the installed hook runs it."""
    import os

    env = dict(os.environ, HEADROOM_HOME=str(home))
    return subprocess.run(
        [*headroom_argv(), "hooks", "run", "post-tool-use"],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_installed_command_replaces_a_large_bash_output(tmp_path: Path) -> None:
    done = run_entry_point(orjson.dumps(payloads.bash(LOG)), tmp_path / "hh")
    assert done.returncode == 0, done.stderr
    reply = orjson.loads(done.stdout)
    output = reply["hookSpecificOutput"]["updatedToolOutput"]
    assert set(output) == {"stdout", "stderr", "interrupted", "isImage", "noOutputExpected"}
    (ccr,) = marker_ids(output["stdout"])
    assert (tmp_path / "hh" / "store.db").is_file()  # where the MCP server will look
    assert retrieve(ccr, home=str(tmp_path / "hh")) == LOG


def test_the_installed_command_prints_nothing_for_garbage_or_small_output(tmp_path: Path) -> None:
    for stdin in (b"{oops", orjson.dumps(payloads.bash("ok\n"))):
        done = run_entry_point(stdin, tmp_path / "hh")
        assert (done.returncode, done.stdout) == (0, b"")


def test_the_hook_fast_path_skips_the_full_cli() -> None:
    """The hook runs on every tool call: it must not pay for the whole CLI's imports."""
    code = (
        "import sys\n"
        "sys.argv = ['headroom', 'hooks', 'run', 'post-tool-use']\n"
        "from headroom.entry import main\n"
        "main()\n"
        "sys.stderr.write('cli loaded: %s' % ('headroom.cli' in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], input=b"not json", capture_output=True, check=False
    )
    assert result.returncode == 0 and result.stdout == b""
    assert result.stderr.decode().endswith("cli loaded: False")
