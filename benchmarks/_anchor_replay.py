"""The replay benchmark's anchor arm: the published Headroom's `compress()` per turn.

Run BY the anchor venv's python (PyPI `headroom-ai`, see benchmarks/README.md),
never by this repo's: it imports the published package, whose import name is
also `headroom`. `headroom.bench.replay` starts it once for every turn of every
session (the package takes seconds to start), from a neutral folder and
without PYTHONPATH.

stdin: one JSON object per line, `{session, turn, model, messages, system, tools}`
(Anthropic format; `system` a string or null).
stdout: one JSON object per input line, `{session, turn, messages, error}`: the
messages as `compress()` returned them (the system prompt goes in as a leading
system message, the way a library user passes it, and is taken out again), or
the input messages and the error when it failed.

Stdlib only. The environment is made offline and hermetic before the package is
imported: no model downloads, telemetry or price fetches; its state in a temp
folder; tiktoken pointed at the BPE files litellm (one of its dependencies)
bundles; its circuit breaker off, so one failure does not pass later turns
through untouched.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
from typing import Any, TextIO


def _litellm_tokenizers() -> str | None:
    spec = importlib.util.find_spec("litellm")
    for base in (spec.submodule_search_locations or []) if spec else []:
        folder = os.path.join(base, "litellm_core_utils", "tokenizers")
        if os.path.isdir(folder):
            return folder
    return None


def _offline_environment() -> None:
    state = tempfile.mkdtemp(prefix="anchor-replay-")
    atexit.register(shutil.rmtree, state, True)
    defaults = {
        "HEADROOM_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "HEADROOM_TELEMETRY": "off",
        "HEADROOM_PIPELINE_BREAKER_THRESHOLD": "0",
        "HEADROOM_WORKSPACE_DIR": state,
        "HEADROOM_CONFIG_DIR": os.path.join(state, "config"),
        "XDG_CACHE_HOME": os.path.join(state, "xdg-cache"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    tokenizers = _litellm_tokenizers()
    if tokenizers:
        defaults["TIKTOKEN_CACHE_DIR"] = tokenizers
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


def _compress_turn(compress: Any, case: dict[str, Any]) -> dict[str, Any]:
    messages = list(case["messages"])
    system = case.get("system")
    sent = ([{"role": "system", "content": system}] if system else []) + messages
    out: dict[str, Any] = {"session": case["session"], "turn": case["turn"]}
    try:
        result = compress(sent, model=case.get("model") or "claude-sonnet-4-5-20250929")
        back = list(result.messages)
        if system and back and back[0].get("role") == "system":
            back = back[1:]
        out |= {"messages": back, "error": None}
    except Exception as exc:  # noqa: BLE001 - any failure is reported per turn
        out |= {"messages": messages, "error": f"{type(exc).__name__}: {exc}"[:500]}
    return out


def main(stdin: TextIO, stdout: TextIO) -> int:
    _offline_environment()
    logging.getLogger("headroom").propagate = False
    from headroom import compress  # the published package, in this venv

    for line in stdin:
        if not line.strip():
            continue
        result = _compress_turn(compress, json.loads(line))
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    # Results go to a copy of the real stdout; anything the package or its
    # libraries print (even from C) lands on stderr, so stdout stays JSON lines.
    results = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.exit(main(sys.stdin, results))
