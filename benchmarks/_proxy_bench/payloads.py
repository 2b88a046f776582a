"""The request bodies the proxy benchmark sends.

Two Anthropic Messages requests: a small three-message one that the pipeline
leaves alone (so the proxy must forward its original bytes), and an agent turn
of about 50k o200k tokens whose history holds three large tool outputs (an
application log, a JSON array from an API, grep output), the kind of content
the compressors exist for. The tool outputs are generated here, deterministic
and synthetic, so nothing from the corpus is copied into the repo; with
`corpus` given, real samples from it (a log, a JSON array, search output)
replace them at run time.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

from headroom.tokens import count_tokens

MODEL = "claude-sonnet-4-6"
HEADERS = {
    "content-type": "application/json",
    "x-api-key": "sk-ant-bench-not-a-real-key",
    "anthropic-version": "2023-06-01",
}
#: What the large request aims at, in o200k tokens.
TARGET_TOKENS = 50_000

_TOOLS = [
    {
        "name": name,
        "description": doc,
        "input_schema": {
            "type": "object",
            "properties": {"arg": {"type": "string"}},
            "required": ["arg"],
        },
    }
    for name, doc in (
        ("bash", "Run a shell command and return its output."),
        ("http_get", "GET a URL and return the response body."),
        ("grep", "Search the repository with ripgrep."),
    )
]


def small_body(*, stream: bool = False) -> bytes:
    """A three-message conversation with nothing to compress."""
    body: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 256,
        "messages": [
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "Paris."},
            {"role": "user", "content": "And of Italy? Answer in one word."},
        ],
    }
    if stream:
        body["stream"] = True
    return orjson.dumps(body)


def synthetic_log(lines: int, rng: random.Random) -> str:
    services = ["api", "worker", "scheduler", "billing", "auth"]
    out = []
    for i in range(lines):
        service = rng.choice(services)
        ms = rng.randint(2, 900)
        stamp = f"2025-03-14T09:{(i // 60) % 60:02d}:{i % 60:02d}.{rng.randint(0, 999):03d}Z"
        if i % 397 == 211:
            out.append(f"{stamp} ERROR {service} request_id=r{i:06d} upstream timeout after {ms}ms")
            out.append("Traceback (most recent call last):")
            out.append('  File "/srv/app/handlers.py", line 88, in fetch')
            out.append("TimeoutError: upstream did not answer")
            continue
        level = "WARN" if i % 53 == 7 else "INFO"
        out.append(
            f"{stamp} {level} {service} request_id=r{i:06d} path=/v2/items/{rng.randint(1, 5000)} "
            f"status=200 duration_ms={ms} bytes={rng.randint(200, 90_000)}"
        )
    return "\n".join(out)


def synthetic_json(rows: int, rng: random.Random) -> str:
    statuses = ["active", "active", "active", "suspended", "pending"]
    items = [
        {
            "id": 100_000 + i,
            "name": f"customer-{i:05d}",
            "email": f"user{i}@example.com",
            "status": rng.choice(statuses),
            "plan": rng.choice(["free", "pro", "team"]),
            "created_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
            "usage": {"requests": rng.randint(0, 50_000), "storage_mb": rng.randint(0, 900)},
            "tags": rng.sample(["beta", "eu", "us", "vip", "trial", "legacy"], 2),
        }
        for i in range(rows)
    ]
    return orjson.dumps(items, option=orjson.OPT_INDENT_2).decode()


def synthetic_grep(lines: int, rng: random.Random) -> str:
    modules = ["client", "session", "models", "adapters", "utils", "auth", "cookies", "hooks"]
    return "\n".join(
        f"src/service/{rng.choice(modules)}.py:{rng.randint(1, 2400)}:"
        f"        timeout = kwargs.get('timeout', DEFAULT_TIMEOUT_{i % 17})  # retry {i}"
        for i in range(lines)
    )


def corpus_outputs(corpus: Path, scale: float) -> list[str]:
    """A real log, JSON array and search output from the corpus, cut to `scale`."""

    def largest(kind: str, suffix: str) -> str:
        files = sorted((corpus / kind).glob(f"*{suffix}"), key=lambda p: p.stat().st_size)
        return files[-1].read_text(encoding="utf-8", errors="replace")

    def head(text: str, fraction: float) -> str:
        lines = text.splitlines()
        return "\n".join(lines[: max(1, int(len(lines) * fraction))])

    rows = orjson.loads(largest("json", ".json"))
    rows = rows[: max(1, int(len(rows) * scale))] if isinstance(rows, list) else rows
    table = orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()
    return [head(largest("logs", ".log"), scale), table, head(largest("search", ".txt"), scale)]


def synthetic_outputs(scale: float) -> list[str]:
    """At scale 1 these come to about 100k tokens, twice the target."""
    rng = random.Random(5)
    return [
        synthetic_log(int(1800 * scale), rng),
        synthetic_json(int(320 * scale), rng),
        synthetic_grep(int(840 * scale), rng),
    ]


def _outputs(corpus: Path | None, scale: float) -> list[str]:
    return synthetic_outputs(scale) if corpus is None else corpus_outputs(corpus, scale)


def _agent_turn(outputs: list[str], nonce: int, session: int) -> dict[str, Any]:
    calls = [("bash", "tail -n 2000 /var/log/app.log"), ("http_get", "/v2/customers")]
    calls.append(("grep", "timeout src/"))
    task = f"Why are requests timing out? Look at the logs and code (session {session})."
    messages: list[dict[str, Any]] = [{"role": "user", "content": task}]
    for n, ((name, arg), output) in enumerate(zip(calls, outputs, strict=False)):
        tool_id = f"toolu_bench_{n:02d}"
        use = {"type": "tool_use", "id": tool_id, "name": name, "input": {"arg": arg}}
        messages.append({"role": "assistant", "content": [use]})
        result = {"type": "tool_result", "tool_use_id": tool_id, "content": output}
        messages.append({"role": "user", "content": [result]})
    question = {"type": "text", "text": f"Summarise the cause (turn {nonce})."}
    messages[-1]["content"].append(question)
    return {"model": MODEL, "max_tokens": 1024, "tools": _TOOLS, "messages": messages}


class LargeRequest:
    """The ~50k-token agent turn.

    `body(n)` is a new session every time (its task names it), so every tool
    output is seen for the first time and compressed from scratch: the worst
    case. `resent(n)` is one session whose history is sent again with a new
    closing question, as every later turn of an agent does: frozen history
    answers it from the memo.
    """

    def __init__(self, corpus: Path | None = None) -> None:
        self.source = "synthetic" if corpus is None else f"corpus {corpus}"
        # One pass at full size, then one cut to the target (tokens grow ~linearly).
        self.outputs = _outputs(corpus, 1.0)
        scale = min(1.0, TARGET_TOKENS / tokens_of(self.body(0)))
        self.outputs = _outputs(corpus, scale)
        self.tokens = tokens_of(self.body(0))

    def body(self, nonce: int) -> bytes:
        return orjson.dumps(_agent_turn(self.outputs, nonce, session=nonce))

    def resent(self, nonce: int) -> bytes:
        return orjson.dumps(_agent_turn(self.outputs, nonce, session=-1))


def tokens_of(body: bytes) -> int:
    """o200k tokens of a request body as sent (its JSON text)."""
    return count_tokens(body.decode("utf-8", "replace"))
