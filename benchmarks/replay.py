"""Replay recorded agent sessions and bill them with a simulated Anthropic prompt cache.

The same run as `headroom bench --replay DIR`: each session of the agent traces
is sent turn by turn, as its client sent it, under four arms (no Headroom,
Headroom, Headroom without the aligner and breakpoints, the published Headroom
in its own venv), and the simulated cache bills every request. See
`headroom/bench/replay.py` for what each arm does.

    python benchmarks/replay.py [--traces ../shared/corpus/agent_traces] [--format table|jsonl]
        [--arms none,headroom,headroom-no-align,anchor] [--client-cache last2|none]
        [--gap 30] [--anchor-python ../anchor-venv/bin/python] [--model claude-sonnet-4-5]

Progress goes to stderr; the report to stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from headroom.bench.cli import (
    DEFAULT_ANCHOR_PYTHON,
    Format,
    print_replay,
    replay_with_progress,
)
from headroom.bench.corpus import CorpusError
from headroom.bench.replay import ARMS, CLIENT_CACHE, ReplayOptions
from headroom.bench.traces import DEFAULT_MODEL, load_traces

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--traces", type=Path, default=REPO.parent / "shared/corpus/agent_traces")
    parser.add_argument("--format", choices=[f.value for f in Format], default="table")
    parser.add_argument("--arms", default=",".join(ARMS), help="comma-separated arms")
    parser.add_argument("--client-cache", choices=CLIENT_CACHE, default="none")
    parser.add_argument("--gap", type=float, default=30.0, help="seconds between untimed turns")
    parser.add_argument("--anchor-python", type=Path, default=REPO / DEFAULT_ANCHOR_PYTHON)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args(argv)
    arms = tuple(a.strip() for a in args.arms.split(",") if a.strip())
    options = ReplayOptions(arms, args.client_cache, args.gap, args.anchor_python)
    err = Console(stderr=True)
    try:
        sessions = load_traces(args.traces, model=args.model)
        report = replay_with_progress(sessions, options, err)
    except (CorpusError, ValueError) as exc:
        err.print(f"replay: {exc}", markup=False)
        return 2
    print_replay(report, Format(args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
