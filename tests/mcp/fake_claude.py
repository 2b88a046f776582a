"""A stand-in for the `claude` CLI's `mcp add` and `mcp remove`, for install tests.

It appends each call (argv and working folder) to a log, then does what the
real CLI 2.1.329 does to its config files: `--scope user` edits
`~/.claude.json`, `--scope project` edits `.mcp.json` in the working folder,
under `mcpServers.<name>` as `{"type": "stdio", "command", "args", "env"}`.
With `fail=True` it prints an error and exits 1, as the real one does for an
unknown option.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCRIPT = """#!{python}
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write(json.dumps({{"argv": args, "cwd": os.getcwd()}}) + "\\n")
if {fail!r}:
    print("error: unknown option '--scope'", file=sys.stderr)
    sys.exit(1)
scope = args[args.index("--scope") + 1]
path = Path.home() / ".claude.json" if scope == "user" else Path.cwd() / ".mcp.json"
data = json.loads(path.read_text()) if path.exists() else {{}}
servers = data.setdefault("mcpServers", {{}})
name = args[args.index("--scope") + 2]
if args[1] == "add":
    dash = args.index("--")
    command, rest = args[dash + 1], args[dash + 2:]
    servers[name] = {{"type": "stdio", "command": command, "args": rest, "env": {{}}}}
    print(f"Added stdio MCP server {{name}} to {{scope}} config")
else:
    del servers[name]
    print(f"Removed MCP server {{name}} from {{scope}} config")
path.write_text(json.dumps(data, indent=2))
"""


def install_fake_claude(bin_dir: Path, *, fail: bool = False) -> Path:
    """Write the fake `claude` into `bin_dir`; returns the log it appends its calls to."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / "claude-calls.jsonl"
    script = bin_dir / "claude"
    script.write_text(SCRIPT.format(python=sys.executable, log=str(log), fail=fail))
    script.chmod(0o755)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    """The calls the fake received, oldest first."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
