"""Request bodies with one tool output, in each wire format the proxy compresses."""

from __future__ import annotations

from typing import Any

QUESTION = "which request failed?"


def anthropic(output: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 256,
        "messages": [
            {"role": "user", "content": QUESTION},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "Bash",
                        "input": {"command": "cat app.log"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": output}],
            },
        ],
        **extra,
    }


def openai_chat(output: str, **extra: Any) -> dict[str, Any]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "Bash", "arguments": '{"command":"cat app.log"}'},
    }
    return {
        "model": "gpt-4.1",
        "messages": [
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": output},
        ],
        **extra,
    }


def openai_responses(output: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": "gpt-5",
        "input": [
            {"type": "message", "role": "user", "content": QUESTION},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "shell",
                "arguments": '{"command":"cat app.log"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": output},
        ],
        **extra,
    }


def gemini(output: str) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": QUESTION}]},
            {
                "role": "model",
                "parts": [{"functionCall": {"name": "shell", "args": {"command": "cat app.log"}}}],
            },
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "shell", "response": {"output": output}}}],
            },
        ]
    }


GEMINI_PATH = "/v1beta/models/gemini-2.5-flash:generateContent"
GEMINI_STREAM_PATH = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"

#: (wire, path, body builder) for every model route.
WIRES = [
    ("anthropic", "/v1/messages", anthropic),
    ("openai-chat", "/v1/chat/completions", openai_chat),
    ("openai-responses", "/v1/responses", openai_responses),
    ("gemini", GEMINI_PATH, gemini),
]
