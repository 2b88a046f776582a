"""Recorded agent sessions, turned into the Anthropic requests their client sent.

The replay benchmark bills a session the way the provider would: turn by
turn, each request carrying the full history so far. The corpus keeps real
sessions in their agents' own formats, so this module rebuilds the requests:

- **SWE-agent** `.traj.json`: the system message and the user messages before
  the first step (the task, and a demonstration where the run had one), then
  per `trajectory` step an assistant turn (the thought as text and the action
  as a `bash` tool call) answered by the observation as a `tool_result`.
  Request k holds the first k steps, so the last request holds them all.
- **OpenHands** event streams (`.json`) and resolver output (`.jsonl`, one
  session per line, its `history` in the older event form): user messages,
  tool calls (the function call the model made, read from its response where
  the event kept it) answered by their observations, and the agent's plain
  messages. A request goes out before each agent action, plus a final one
  with everything. A call the trace never answered (`finish`) is kept as the
  assistant's text, so every `tool_use` has its `tool_result`.

Tool outputs become `tool_result` blocks answering `tool_use` blocks because
that is what real agents send and what Headroom compresses. Recorded files
carry no tool schemas (and OpenHands no system prompt), so short neutral ones
are written here. Needles come from the corpus manifest; where one file holds
several sessions, a needle belongs to the sessions whose conversation holds
it (the resolver's needles are about run metadata no request contains, so
those sessions have none).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from headroom.bench.corpus import (
    CorpusError,
    Needle,
    Sample,
    decoded_strings,
    load_corpus,
    needle_kept,
)
from headroom.types import JSONObject

DEFAULT_MODEL = "claude-sonnet-4-5"
MAX_TOKENS = 4096

OPENHANDS_SYSTEM = (
    "You are a software engineering agent working in a Linux sandbox. Use the tools "
    "to inspect files, edit them and run commands, then report what you did."
)

_STRING: JSONObject = {"type": "string"}


def _schema(*required: str, **properties: JSONObject) -> JSONObject:
    return {"type": "object", "properties": properties, "required": list(required)}


#: Tool name → (description, input schema): written here, as the traces carry none.
_TOOLS: dict[str, tuple[str, JSONObject]] = {
    "bash": (
        "Run a shell command in the task's container and return its output.",
        _schema("command", command=_STRING),
    ),
    "execute_bash": (
        "Run a bash command in the sandbox and return its output.",
        _schema("command", command=_STRING, is_input={"type": "string", "enum": ["true", "false"]}),
    ),
    "execute_ipython_cell": (
        "Run Python code in an IPython kernel and return its output.",
        _schema("code", code=_STRING),
    ),
    "str_replace_editor": (
        "View, create and edit files: view, create, str_replace, insert, undo_edit.",
        _schema(
            "command",
            "path",
            command={
                "type": "string",
                "enum": ["view", "create", "str_replace", "insert", "undo_edit"],
            },
            path=_STRING,
            file_text=_STRING,
            old_str=_STRING,
            new_str=_STRING,
            insert_line={"type": "integer"},
            view_range={"type": "array", "items": {"type": "integer"}},
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Turn:
    """One request as the client sent it, and when (epoch seconds; None if unrecorded)."""

    body: JSONObject
    at: float | None = None


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    model: str
    turns: tuple[Turn, ...]
    needles: tuple[Needle, ...] = ()


def load_traces(folder: Path, *, model: str = DEFAULT_MODEL) -> list[Session]:
    """Every session of the trace files in `folder`, with the manifest's needles.

    The manifest is `manifest.jsonl` in the folder's parent (the corpus root);
    files it does not list are loaded too, without needles.
    """
    if not folder.is_dir():
        raise CorpusError(f"{folder} is not a folder of agent traces (--replay DIR)")
    samples = {s.path.resolve(): s for s in _manifest_samples(folder)}
    sessions: list[Session] = []
    for path in sorted(folder.iterdir()):
        if not _is_trace(path):
            continue
        sample = samples.get(path.resolve())
        base = sample.id if sample else path.name.split(".")[0]
        needles = sample.needles if sample else ()
        sessions.extend(_load_file(path, base, needles, model))
    if not sessions:
        raise CorpusError(f"{folder} holds no SWE-agent or OpenHands traces")
    return sessions


def _manifest_samples(folder: Path) -> list[Sample]:
    if not (folder.parent / "manifest.jsonl").is_file():
        return []
    samples = load_corpus(folder.parent)
    return [s for s in samples if s.path.resolve().parent == folder.resolve()]


def _is_trace(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".traj.json", ".json", ".jsonl"))


def _load_file(path: Path, base: str, needles: Sequence[Needle], model: str) -> list[Session]:
    try:
        built = list(_file_turns(path, base))
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise CorpusError(f"{path}: not a trace this loader knows ({exc})") from exc
    if len(built) == 1:
        sid, turns = built[0]
        return [_session(sid, model, turns, needles)]
    return [_session(sid, model, turns, _needles_in(turns, needles)) for sid, turns in built]


def _file_turns(path: Path, base: str) -> Iterator[tuple[str, list[Turn]]]:
    """(session id, requests) for each session in one trace file."""
    if path.name.endswith(".traj.json"):
        yield base, swe_agent_turns(orjson.loads(path.read_bytes()))
    elif path.suffix == ".jsonl":
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        for number, line in enumerate(lines, 1):
            record = orjson.loads(line)
            yield f"{base}-{_record_name(record, number)}", openhands_turns(record["history"])
    else:
        yield base, openhands_turns(orjson.loads(path.read_bytes()))


def _record_name(record: JSONObject, number: int) -> str:
    issue = record.get("issue")
    return str(issue.get("number", number)) if isinstance(issue, dict) else str(number)


def _session(sid: str, model: str, turns: list[Turn], needles: Sequence[Needle]) -> Session:
    with_model = tuple(Turn({**t.body, "model": model}, t.at) for t in turns)
    return Session(sid, model, with_model, tuple(needles))


def _needles_in(turns: list[Turn], needles: Sequence[Needle]) -> list[Needle]:
    """The needles one session of a multi-session file holds (in its last request)."""
    text = seen_text(turns[-1].body) if turns else ""
    decoded = decoded_strings(text)
    return [n for n in needles if needle_kept(n, text, decoded)]


# --------------------------------------------------------------------- SWE-agent
def swe_agent_turns(traj: JSONObject) -> list[Turn]:
    """The requests of a SWE-agent trajectory: request k holds steps 0..k-1."""
    history: list[JSONObject] = traj["history"]
    system = next((m["content"] for m in history if m["role"] == "system"), "")
    first_assistant = next(
        (i for i, m in enumerate(history) if m["role"] == "assistant"), len(history)
    )
    task = [_text(m["content"]) for m in history[:first_assistant] if m["role"] == "user"]
    messages: list[JSONObject] = [{"role": "user", "content": task}]
    turns: list[Turn] = []
    for number, step in enumerate(traj["trajectory"]):
        call_id = f"toolu_swe_{number:03d}"
        said = [_text(step["thought"])] if step.get("thought", "").strip() else []
        call = {"type": "tool_use", "id": call_id, "name": "bash"}
        messages.append(
            {
                "role": "assistant",
                "content": [*said, {**call, "input": {"command": step["action"]}}],
            }
        )
        result = {"type": "tool_result", "tool_use_id": call_id, "content": step["observation"]}
        messages.append({"role": "user", "content": [result]})
        turns.append(Turn(_body(str(system), ["bash"], list(messages))))
    return turns


# --------------------------------------------------------------------- OpenHands
_SKIPPED_ACTIONS = frozenset({"change_agent_state", "system", "recall", "null"})
_LEGACY_META = frozenset(
    {
        "action",
        "thought",
        "action_risk",
        "is_confirmed",
        "keep_prompt",
        "kernel_init_code",
        "security_risk",
        "wait_for_response",
        "images_urls",
        "image_urls",
    }
)


def openhands_turns(events: Sequence[JSONObject]) -> list[Turn]:
    """The requests of an OpenHands event history: one before each agent action, one final."""
    build = _OpenHandsBuild(_answered_calls(events))
    for index, event in enumerate(events):
        build.event(event, events[index + 1] if index + 1 < len(events) else None)
    build.emit(_time(events[-1]) if events else None)
    tools = sorted(
        {
            b["name"]
            for t in build.turns
            for m in t.body["messages"]
            for b in m["content"]
            if b.get("type") == "tool_use"
        }
    )
    return [Turn(_body(OPENHANDS_SYSTEM, tools, t.body["messages"]), t.at) for t in build.turns]


def _answered_calls(events: Sequence[JSONObject]) -> set[str]:
    return {
        e["tool_call_metadata"]["tool_call_id"]
        for e in events
        if "observation" in e and isinstance(e.get("tool_call_metadata"), dict)
    }


class _OpenHandsBuild:
    """The conversation so far, and the requests taken from it."""

    def __init__(self, answered: set[str]) -> None:
        self.answered = answered
        self.messages: list[JSONObject] = []
        self.turns: list[Turn] = []
        self.pending: list[str] = []  # legacy calls waiting for their observation
        self.response: str | None = None  # the model response the last action came from
        self.called: set[str] = set()  # ids of the tool_use blocks written so far
        self.calls = 0
        self.version = 0  # bumped by every change, so a request is never taken twice
        self.emitted = 0

    def event(self, event: JSONObject, following: JSONObject | None) -> None:
        if event.get("source") == "environment":
            return
        if "observation" in event:
            self._observation(event)
            return
        action = event.get("action")
        if action is None or action in _SKIPPED_ACTIONS:
            return
        if action == "message" and self._from_user(event):
            self._say("user", [_text(_message(event))])
            return
        meta = event.get("tool_call_metadata")
        response = _response_id(meta)
        first = response is None or response != self.response
        if first:
            self.emit(_time(event))
        self.response = response
        said = (_response_text(meta) or _message(event)) if first else ""
        blocks = [_text(said)] if said.strip() else []
        call = self._call(event, meta, following)
        self._say("assistant", [*blocks, call] if call else blocks)

    def emit(self, at: float | None) -> None:
        if self.messages and self.version != self.emitted:
            snapshot = [{"role": m["role"], "content": list(m["content"])} for m in self.messages]
            self.turns.append(Turn({"messages": snapshot}, at))
            self.emitted = self.version

    def _from_user(self, event: JSONObject) -> bool:
        source = event.get("source")
        if source is not None:
            return bool(source == "user")
        return not any(m["role"] == "assistant" for m in self.messages)

    def _call(
        self, event: JSONObject, meta: Any, following: JSONObject | None
    ) -> JSONObject | None:
        if isinstance(meta, dict):
            if meta["tool_call_id"] not in self.answered:
                return None
            name, arguments = _call_from_response(meta)
            self.called.add(meta["tool_call_id"])
            return {
                "type": "tool_use",
                "id": meta["tool_call_id"],
                "name": name,
                "input": arguments,
            }
        legacy = event.get("source") is None and event.get("action") not in {"message", "finish"}
        if not legacy or following is None or "observation" not in following:
            return None
        self.calls += 1
        call_id = f"toolu_oh_{self.calls:03d}"
        self.pending.append(call_id)
        name, arguments = _legacy_call(event)
        return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}

    def _observation(self, event: JSONObject) -> None:
        meta = event.get("tool_call_metadata")
        if isinstance(meta, dict) and meta["tool_call_id"] in self.called:
            call_id = str(meta["tool_call_id"])
        elif event.get("source") is None and self.pending:
            call_id = self.pending.pop(0)
        else:
            return
        content = str(event.get("content") or event.get("message") or "")
        self._say("user", [{"type": "tool_result", "tool_use_id": call_id, "content": content}])

    def _say(self, role: str, blocks: list[JSONObject]) -> None:
        if not blocks:
            return
        self.version += 1
        if self.messages and self.messages[-1]["role"] == role:
            self.messages[-1] = {"role": role, "content": [*self.messages[-1]["content"], *blocks]}
        else:
            self.messages.append({"role": role, "content": blocks})


def _args(event: JSONObject) -> JSONObject:
    args = event.get("args")
    return args if isinstance(args, dict) else event


def _message(event: JSONObject) -> str:
    """What the agent or user said: a message's content, else the action's thought."""
    args = _args(event)
    key = "content" if event.get("action") == "message" else "thought"
    value = args.get(key)
    if isinstance(value, str) and value:
        return value
    return str(event.get("message") or "") if event.get("action") in {"message", "finish"} else ""


def _response_id(meta: Any) -> str | None:
    if not isinstance(meta, dict):
        return None
    response = meta.get("model_response")
    return str(response.get("id")) if isinstance(response, dict) else None


def _response_message(meta: Any) -> JSONObject:
    if not isinstance(meta, dict) or not isinstance(meta.get("model_response"), dict):
        return {}
    choices = meta["model_response"].get("choices") or [{}]
    message = choices[0].get("message")
    return message if isinstance(message, dict) else {}


def _response_text(meta: Any) -> str:
    content = _response_message(meta).get("content")
    return content if isinstance(content, str) else ""


def _call_from_response(meta: JSONObject) -> tuple[str, JSONObject]:
    for call in _response_message(meta).get("tool_calls") or []:
        if call.get("id") == meta["tool_call_id"]:
            function = call.get("function") or {}
            return str(function.get("name", meta["function_name"])), _arguments(function)
    return str(meta["function_name"]), {}


def _arguments(function: JSONObject) -> JSONObject:
    raw = function.get("arguments")
    try:
        parsed = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    except orjson.JSONDecodeError:
        return {"arguments": raw}
    return parsed if isinstance(parsed, dict) else {"arguments": parsed}


def _legacy_call(event: JSONObject) -> tuple[str, JSONObject]:
    action = str(event["action"])
    if action == "run":
        return "execute_bash", {"command": event.get("command", "")}
    if action == "run_ipython":
        return "execute_ipython_cell", {"code": event.get("code", "")}
    return action, {k: v for k, v in event.items() if k not in _LEGACY_META}


def _time(event: JSONObject) -> float | None:
    stamp = event.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


# --------------------------------------------------------------------- shared
def _text(text: str) -> JSONObject:
    return {"type": "text", "text": text}


def _body(system: str, tool_names: Sequence[str], messages: list[JSONObject]) -> JSONObject:
    tools = []
    for name in tool_names:
        description, schema = _TOOLS.get(name, (f"The agent's {name} tool.", _schema()))
        tools.append({"name": name, "description": description, "input_schema": schema})
    return {
        "model": DEFAULT_MODEL,
        "max_tokens": MAX_TOKENS,
        "system": [_text(system)],
        "tools": tools,
        "messages": messages,
    }


def seen_text(body: JSONObject) -> str:
    """All the text a model reads in a request: system, message text, tool inputs and results.

    Tool inputs are given as one JSON line each, which `decoded_strings` unescapes.
    """
    return "\n".join(_texts(body))


def _texts(body: JSONObject) -> Iterator[str]:
    yield from _content_texts(body.get("system"))
    for message in body.get("messages") or []:
        yield from _content_texts(message.get("content") if isinstance(message, dict) else None)


def _content_texts(content: Any) -> Iterator[str]:
    if isinstance(content, str):
        yield content
        return
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            yield str(block.get("text", ""))
        elif kind == "tool_use":
            yield orjson.dumps(block.get("input", {})).decode()
        elif kind == "tool_result":
            yield from _content_texts(block.get("content"))
