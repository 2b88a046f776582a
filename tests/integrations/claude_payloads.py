"""PostToolUse hook inputs in the shapes Claude Code 2.1.329 sends.

The shapes were captured from the real CLI (a hook that saved its stdin,
driven by the fake upstream): Bash merges stderr into `stdout` when run in a
shell that redirects it, Read's content has no line numbers (Claude Code adds
them when it shows the file), Grep's `content` mode has `path:line:text` lines.
"""

from __future__ import annotations

from typing import Any

COMMON = {
    "session_id": "4614f19e-0a80-49d9-a596-b7c6575cac75",
    "transcript_path": "/home/u/.claude/projects/-work/4614f19e.jsonl",
    "cwd": "/work",
    "prompt_id": "b67cc43c-9372-42cf-89ed-22620b7f0067",
    "permission_mode": "default",
    "effort": {"level": "medium"},
    "hook_event_name": "PostToolUse",
}


def event(tool: str, tool_input: dict[str, Any], response: Any) -> dict[str, Any]:
    return {
        **COMMON,
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_response": response,
        "tool_use_id": "toolu_01",
        "duration_ms": 12,
    }


def bash(stdout: str, stderr: str = "", command: str = "cat app.log") -> dict[str, Any]:
    response = {
        "stdout": stdout,
        "stderr": stderr,
        "interrupted": False,
        "isImage": False,
        "noOutputExpected": False,
    }
    return event("Bash", {"command": command, "description": "Show the log"}, response)


def bash_saved(full: str, saved: str) -> dict[str, Any]:
    """A Bash output too large to show: Claude Code keeps 30,000 characters and saves the rest."""
    event = bash(full[:30_000])
    event["tool_response"] |= {"persistedOutputPath": saved, "persistedOutputSize": len(full)}
    return event


def read(path: str, content: str, *, start: int = 1) -> dict[str, Any]:
    lines = content.count("\n") + 1
    file = {
        "filePath": path,
        "content": content,
        "numLines": lines,
        "startLine": start,
        "totalLines": lines + start - 1,
    }
    tool_input: dict[str, Any] = {"file_path": path}
    if start > 1:
        tool_input |= {"offset": start, "limit": lines}
    return event("Read", tool_input, {"type": "text", "file": file})


def grep(content: str, pattern: str) -> dict[str, Any]:
    response = {
        "mode": "content",
        "numFiles": 0,
        "filenames": [],
        "content": content,
        "numLines": content.count("\n") + 1,
        "totalLines": content.count("\n") + 1,
    }
    tool_input = {"pattern": pattern, "path": "/work", "output_mode": "content", "-n": True}
    return event("Grep", tool_input, response)


def glob(filenames: list[str]) -> dict[str, Any]:
    response = {
        "filenames": filenames,
        "durationMs": 9,
        "numFiles": len(filenames),
        "truncated": False,
        "totalMatches": len(filenames),
        "countIsComplete": True,
    }
    return event("Glob", {"pattern": "**/*.py"}, response)
