"""What the tool call that produced a text says about the text's kind.

The tool call is a better witness than the content: a Read of `x.py` is code
even when it opens with a long docstring, and `git diff` output is a diff even
when it is empty of hunks. `kind_from_origin` answers from the call alone and
returns None when the call does not tell, so the router falls back to
`headroom.compressors.detect.detect_kind`.

Shell commands are read statement by statement from the last one back (`cd
repo && pytest` is test output), and in a pipeline the first command names
the kind (`kubectl logs web | grep ERROR` is still logs).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from headroom.compressors.languages import kind_of_path
from headroom.types import Origin

_READ_TOOLS = frozenset(
    {"read", "read_file", "readfile", "view", "view_file", "open", "open_file", "cat"}
    | {"file_read", "read_text_file", "get_file_contents", "notebookread"}
)
_EDITOR_TOOLS = frozenset({"str_replace_based_edit_tool", "str_replace_editor", "editor"})
_SEARCH_TOOLS = frozenset(
    {"grep", "search", "rg", "ripgrep", "glob", "find", "find_files", "search_files"}
    | {"file_search", "codebase_search", "grep_search", "list_files", "ls"}
)
_WEB_TOOLS = frozenset({"webfetch", "web_fetch", "fetch", "fetch_url", "browser", "browse"})
_SHELL_TOOLS = frozenset(
    {"bash", "shell", "exec", "exec_command", "run", "run_command", "execute_command"}
    | {"run_shell_command", "terminal", "local_shell", "container.exec", "execute_bash"}
)
_COMMAND_KEYS = ("command", "cmd")
_PATH_KEYS = ("file_path", "path", "filename", "notebook_path")

#: Words that run another command: `sudo`, `time`, `uv run`, `npx`…
_WRAPPERS = frozenset({"sudo", "time", "env", "nice", "nohup", "exec", "command", "npx"})
_RUNNERS = frozenset({"uv", "poetry", "pipenv", "hatch", "pdm", "rye", "bundle"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_STATEMENT_SPLIT = re.compile(r"&&|\|\||;|\n")
_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")

_SEARCH_COMMANDS = frozenset({"rg", "grep", "egrep", "fgrep", "ag", "ack", "find", "fd", "fdfind"})
_LOG_COMMANDS = frozenset({"journalctl", "dmesg", "stern"})
_SHELL_COMMANDS = frozenset(
    {"pytest", "py.test", "tox", "nox", "make", "tsc", "mypy", "ruff", "eslint", "jest"}
    | {"vitest", "pylint", "flake8", "gradle", "gradlew", "mvn", "ctest", "cmake", "ninja"}
)
_READ_COMMANDS = frozenset({"cat", "head", "less", "more", "bat", "nl", "sed", "tail"})
#: `tool subcommand` pairs that print test or build output.
_SHELL_SUBCOMMANDS = {
    "go": frozenset({"test", "build", "vet"}),
    "cargo": frozenset({"test", "build", "clippy", "check", "nextest"}),
    "npm": frozenset({"test", "t", "build", "lint", "typecheck", "install", "i", "ci"}),
    "pip": frozenset({"install", "download", "wheel"}),
    "pip3": frozenset({"install", "download", "wheel"}),
    "yarn": frozenset({"test", "build", "lint", "typecheck"}),
    "pnpm": frozenset({"test", "build", "lint", "typecheck"}),
    "dotnet": frozenset({"test", "build"}),
}
_GIT_DIFF_SUBCOMMANDS = frozenset({"diff", "show", "format-patch"})


def kind_from_origin(origin: Origin) -> str | None:
    """The content kind implied by the tool call, or None when the call does not tell."""
    tool = _tool_name(origin.tool_name)
    tool_input = origin.tool_input or {}
    path = origin.file_path or _path_of(tool_input)
    if tool in _READ_TOOLS or (tool in _EDITOR_TOOLS and tool_input.get("command") == "view"):
        return kind_of_path(path) if path else None
    if tool in _SEARCH_TOOLS:
        return "search"
    if tool in _WEB_TOOLS:
        return "html"
    command = _command_of(tool_input)
    if command is not None and (tool in _SHELL_TOOLS or not tool):
        return kind_of_command(command)
    if not tool:
        return kind_of_path(path) if path else None
    if "pattern" in tool_input and command is None:
        return "search"
    return None


def kind_of_command(command: str) -> str | None:
    """The kind of what a shell command line prints, or None when unknown."""
    for statement in reversed(_STATEMENT_SPLIT.split(command)):
        first = statement.split("|", 1)[0]
        try:
            words = shlex.split(first, comments=True)
        except ValueError:  # unbalanced quotes: fall back to plain splitting
            words = first.split()
        kind = _kind_of_words(_strip_wrappers(words))
        if kind is not None:
            return kind
    return None


def _tool_name(name: str | None) -> str:
    """The tool name, lower-cased, without an MCP server prefix (`mcp__fs__read_file`)."""
    if not name:
        return ""
    return name.lower().rsplit("__", 1)[-1]


def _path_of(tool_input: Mapping[str, Any]) -> str | None:
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _command_of(tool_input: Mapping[str, Any]) -> str | None:
    """The command line, from a string or an argv list (`["bash", "-lc", "pytest"]`)."""
    for key in _COMMAND_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, Sequence) and value and all(isinstance(v, str) for v in value):
            argv = list(value)
            if argv[0].rsplit("/", 1)[-1] in _SHELLS and len(argv) >= 3 and argv[1].startswith("-"):
                return str(argv[-1])
            return shlex.join(argv)
    return None


def _strip_wrappers(words: list[str]) -> list[str]:
    """Drop env assignments and wrappers: `FOO=1 sudo uv run python -m pytest` -> `pytest`."""
    i = 0
    while i < len(words) and (width := _wrapper_width(words, i)):
        i += width
    return words[i:]


def _wrapper_width(words: list[str], i: int) -> int:
    """How many words starting at `i` only wrap the real command (0: none)."""
    word, following = words[i], words[i + 1 : i + 2]
    if _ENV_ASSIGNMENT.match(word) or word in _WRAPPERS:
        return 1
    if word in _RUNNERS and following in (["run"], ["exec"]):
        return 2
    if word.startswith("python") and following == ["-m"]:
        return 2
    return 0


def _kind_of_words(words: list[str]) -> str | None:
    """The kind of one simple command given as words."""
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if program == "git":
        return _kind_of_git(args)
    if program in _SEARCH_COMMANDS or (program == "ls" and _has_flag(args, "R")):
        return "search"
    if program in _SHELL_COMMANDS:
        return "shell"
    if any(a in _SHELL_SUBCOMMANDS.get(program, ()) for a in args[:2]):
        return "shell"
    if program in _LOG_COMMANDS or (program in {"kubectl", "docker", "podman"} and "logs" in args):
        return "logs"
    if program in _READ_COMMANDS:
        return _kind_of_read(program, args)
    if program == "jq":
        return "json"
    return None


def _kind_of_git(args: list[str]) -> str | None:
    subcommand = _git_subcommand(args)
    if subcommand in _GIT_DIFF_SUBCOMMANDS:
        return "diff"
    if subcommand == "log" and any(a in {"-p", "--patch", "-u"} for a in args):
        return "diff"
    if subcommand == "grep":
        return "search"
    return None


def _git_subcommand(args: list[str]) -> str:
    """The subcommand after git's own options (`git -C repo --no-pager diff` -> diff)."""
    skip_value = False
    for arg in args:
        if skip_value:
            skip_value = False
        elif arg in {"-C", "-c", "--git-dir", "--work-tree", "--namespace"}:
            skip_value = True
        elif not arg.startswith("-"):
            return arg
    return ""


def _kind_of_read(program: str, args: list[str]) -> str | None:
    """`cat x.py` is code; `tail` of an unknown file is most likely a log."""
    files = [a for a in args if not a.startswith("-") and not a.isdigit()]
    kinds = {kind for kind in map(kind_of_path, files) if kind is not None}
    if len(kinds) == 1:
        return kinds.pop()
    if program == "tail":
        return "logs"
    return None


def _has_flag(args: list[str], letter: str) -> bool:
    """Whether a short flag is given, alone or bundled (`-R`, `-laR`)."""
    return any(a.startswith("-") and not a.startswith("--") and letter in a for a in args)
