"""The `headroom` command's entry point, with a fast path for Claude Code's hook.

Claude Code runs `headroom hooks run post-tool-use` after every matching tool
call, so its start-up time is paid on each one. That path imports only the
hook's own module (about a third of the full CLI's imports); everything else
goes to the full CLI in `headroom.cli`.
"""

from __future__ import annotations

import sys

_HOOK = ["hooks", "run", "post-tool-use"]


def main() -> None:
    if sys.argv[1:] == _HOOK:
        from headroom.integrations.hooks import post_tool_use_command

        post_tool_use_command()
        return
    from headroom.cli import main as cli_main

    cli_main()
