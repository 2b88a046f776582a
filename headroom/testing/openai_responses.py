"""Replies in the OpenAI Responses wire format (`POST /v1/responses`).

Each part of a reply becomes one output item: text a `message` with an
`output_text` part, a tool call a `function_call` (arguments as a JSON
string), and thinking a `reasoning` item whose summary is the thinking and
whose `encrypted_content` is the signature, the opaque blob Codex echoes back.

A stream is named `event:`s, each with a rising `sequence_number`:
`response.created`, `response.in_progress`, per item `output_item.added`,
its part and delta events, `output_item.done`, and finally
`response.completed` carrying the usage. There is no `[DONE]`.
"""

from __future__ import annotations

import time
from typing import Any

from headroom.testing import openai_chat
from headroom.testing.replies import ErrorSpec, Part, Reply, Text, Thinking
from headroom.testing.wire import Call, Counts, Wire, arguments_json, counts, pieces, sse
from headroom.types import JSONObject


def usage(c: Counts) -> JSONObject:
    """Responses usage: `input_tokens` includes the cached tokens."""
    return {
        "input_tokens": c.prompt_total,
        "input_tokens_details": {
            "cached_tokens": c.cache_read,
            "cache_write_tokens": c.cache_write,
        },
        "output_tokens": c.output,
        "output_tokens_details": {"reasoning_tokens": c.reasoning},
        "total_tokens": c.prompt_total + c.output,
    }


def _item(part: Part, call: Call) -> JSONObject:
    if isinstance(part, Text):
        content = [{"type": "output_text", "text": part.text, "annotations": [], "logprobs": []}]
        return {
            "type": "message",
            "id": call.ids("msg_"),
            "status": "completed",
            "role": "assistant",
            "content": content,
        }
    if isinstance(part, Thinking):
        summary = [{"type": "summary_text", "text": part.thinking}]
        return {
            "type": "reasoning",
            "id": call.ids("rs_"),
            "summary": summary,
            "encrypted_content": part.signature,
        }
    return {
        "type": "function_call",
        "id": call.ids("fc_"),
        "call_id": part.id or call.ids("call_"),
        "name": part.name,
        "arguments": arguments_json(part),
        "status": "completed",
    }


def _response(call: Call, response_id: str, status: str, output: list[JSONObject]) -> JSONObject:
    body = call.body
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "metadata": {},
        "model": call.model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "temperature": 1.0,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": 1.0,
        "store": body.get("store", True),
        "text": {"format": {"type": "text"}},
        "usage": None,
    }


def body(reply: Reply, call: Call) -> JSONObject:
    """The whole `response` object of a non-streamed reply."""
    output = [_item(p, call) for p in reply.parts]
    response = _response(call, call.ids("resp_"), "completed", output)
    response["usage"] = usage(counts(reply, call))
    return response


class _Events:
    """Collects named events, numbering them as the real stream does."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def add(self, kind: str, **fields: Any) -> None:
        data = {"type": kind, "sequence_number": len(self.frames), **fields}
        self.frames.append(sse(data, kind))


def events(reply: Reply, call: Call) -> list[bytes]:
    """The named SSE events of a streamed reply, ending with `response.completed`."""
    out = _Events()
    response_id = call.ids("resp_")
    out.add("response.created", response=_response(call, response_id, "in_progress", []))
    out.add("response.in_progress", response=_response(call, response_id, "in_progress", []))
    done: list[JSONObject] = []
    for index, part in enumerate(reply.parts):
        item = _item(part, call)
        _item_events(out, index, part, item)
        done.append(item)
    final = _response(call, response_id, "completed", done)
    final["usage"] = usage(counts(reply, call))
    out.add("response.completed", response=final)
    return out.frames


def _item_events(out: _Events, index: int, part: Part, item: JSONObject) -> None:
    where = {"item_id": item["id"], "output_index": index}
    if isinstance(part, Text):
        out.add("response.output_item.added", output_index=index, item={**item, "content": []})
        empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        out.add("response.content_part.added", **where, content_index=0, part=empty)
        for piece in pieces(part.text):
            out.add(
                "response.output_text.delta", **where, content_index=0, delta=piece, logprobs=[]
            )
        out.add("response.output_text.done", **where, content_index=0, text=part.text, logprobs=[])
        out.add("response.content_part.done", **where, content_index=0, part=item["content"][0])
    elif isinstance(part, Thinking):
        out.add("response.output_item.added", output_index=index, item={**item, "summary": []})
        summary = {"summary_index": 0}
        empty = {"type": "summary_text", "text": ""}
        out.add("response.reasoning_summary_part.added", **where, **summary, part=empty)
        for piece in pieces(part.thinking):
            out.add("response.reasoning_summary_text.delta", **where, **summary, delta=piece)
        out.add("response.reasoning_summary_text.done", **where, **summary, text=part.thinking)
        out.add("response.reasoning_summary_part.done", **where, **summary, part=item["summary"][0])
    else:
        started = {**item, "arguments": "", "status": "in_progress"}
        out.add("response.output_item.added", output_index=index, item=started)
        for piece in pieces(item["arguments"]):
            out.add("response.function_call_arguments.delta", **where, delta=piece)
        args = item["arguments"]
        out.add("response.function_call_arguments.done", **where, name=part.name, arguments=args)
    out.add("response.output_item.done", output_index=index, item=item)


def error_event(spec: ErrorSpec, position: int) -> bytes:
    """The `error` event, numbered as the next event of the stream."""
    kind = openai_chat.error_body(spec)["error"]
    code = kind["code"] or kind["type"]
    data = {"type": "error", "sequence_number": position, "code": code, "message": spec.message}
    return sse({**data, "param": None}, "error")


WIRE = Wire(body=body, events=events, error_body=openai_chat.error_body, error_event=error_event)
