from __future__ import annotations

import copy

import headroom
from headroom.runtime import get_runtime

ESC = "\x1b"
NOISY_LOG = "\n".join(
    f"{ESC}[32m2026-11-20 10:00:{i % 60:02d}{ESC}[0m INFO worker {i % 7} finished batch {i}   "
    for i in range(400)
)


def _anthropic_messages() -> list[dict[str, object]]:
    return [
        {"role": "user", "content": "Did any batch fail?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "Bash",
                    "input": {"command": "cat run.log"},
                }
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": NOISY_LOG}],
        },
    ]


def test_public_surface_is_exactly_the_documented_api() -> None:
    assert headroom.__all__ == sorted(headroom.__all__)
    assert set(headroom.__all__) == {
        "CompressResult",
        "TextResult",
        "__version__",
        "compress",
        "compress_text",
        "retrieve",
    }
    for name in headroom.__all__:
        assert getattr(headroom, name) is not None


def test_compress_returns_anthropic_messages_in_anthropic_format() -> None:
    messages = _anthropic_messages()
    original = copy.deepcopy(messages)
    result = headroom.compress(messages, model="claude-sonnet-4-6")
    assert messages == original  # the caller's list is not mutated
    assert result.provider == "anthropic"
    assert result.messages[:2] == original[:2]
    new_log = result.messages[2]["content"][0]["content"]
    assert ESC not in new_log
    assert "finished batch 399" in new_log
    assert result.tokens_after < result.tokens_before
    assert result.tokens_saved == result.tokens_before - result.tokens_after
    assert 0 < result.ratio < 1
    (block,) = result.blocks
    assert (block.kind, block.compressor, block.tool) == ("logs", "logs", "Bash")
    assert block.tokens_before - block.tokens_after == result.tokens_saved
    if block.ccr_id is not None:
        assert f"headroom_retrieve id={block.ccr_id}" in new_log
        assert headroom.retrieve(block.ccr_id) == NOISY_LOG


def test_compress_returns_openai_messages_in_openai_format() -> None:
    messages = [
        {"role": "system", "content": "You are a helpful agent."},
        {"role": "user", "content": "Did any batch fail?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "shell", "arguments": '{"command": "cat run.log"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": NOISY_LOG},
    ]
    result = headroom.compress(messages)
    assert result.provider == "openai-chat"
    assert result.messages[:3] == messages[:3]
    assert result.messages[3]["role"] == "tool"
    assert ESC not in result.messages[3]["content"]


def test_compress_with_nothing_to_do_returns_equal_messages() -> None:
    messages = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}]
    result = headroom.compress(messages)
    assert result.messages == messages
    assert result.tokens_saved == 0
    assert result.blocks == ()


def test_compress_text_reports_kind_and_sizes() -> None:
    result = headroom.compress_text(NOISY_LOG, query="did a batch fail")
    assert result.kind == "logs"
    assert result.tokens_after < result.tokens_before
    assert ESC not in result.text
    small = headroom.compress_text('{"a": 1}')
    assert (small.text, small.kind, small.ccr_id) == ('{"a": 1}', "json", None)


def test_retrieve_gets_stored_originals_and_explains_unknown_ids() -> None:
    key = get_runtime().ccr.put(NOISY_LOG, kind="logs")
    assert headroom.retrieve(key) == NOISY_LOG
    assert "batch 123" in headroom.retrieve(key, query="batch 123")
    assert "unknown or has expired" in headroom.retrieve("hr_0123456789ab")
