"""The CacheAligner applied to wire bodies (`headroom.providers.align`).

Fixtures are built here, per day and session, so a test can send "the same
agent on another day" and check what the prefix cache would see: the tools and
the static system prompt byte-identical, only the dynamic block at the end of
the system prompt different.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from headroom.cache.volatile import DYNAMIC_HEADER, Moved
from headroom.providers.align import Aligned, align
from headroom.providers.registry import UnknownProviderError

BILLING = "x-anthropic-billing-header: cc_version=2.1.240.7c3; cc_entrypoint=cli; cch={cch};"
IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
RULES = (
    "You are an interactive CLI tool that helps users with software engineering tasks.\n\n"
    "# Doing tasks\n"
    "- Use the TodoWrite tool to plan the task if required\n"
    "- Verify the solution if possible with tests."
)
MODEL_LINE = "You are powered by the model named Opus 4.6. The exact model ID is claude-opus-4-6."
QUESTION = "Invoice totals are a cent off when a discount applies. Why?"
CLAUDE_MD = (
    "As you answer the user's questions, you can use the following context:\n"
    "# claudeMd\n"
    "Contents of /home/dev/ledger/CLAUDE.md (project instructions):\n\n"
    "- Money is always Decimal, never float.\n"
)
IMPORTANT = "      IMPORTANT: this context may or may not be relevant to your tasks."


def env(date: str) -> str:
    return (
        "Here is useful information about the environment you are running in:\n<env>\n"
        "Working directory: /home/dev/ledger\nIs directory a git repo: Yes\nPlatform: linux\n"
        f"OS Version: Linux 6.8.0-45-generic\nToday's date: {date}\n</env>"
    )


def git(branch: str) -> str:
    return (
        "gitStatus: This is the git status at the start of the conversation.\n"
        f"Current branch: {branch}\n\nMain branch (you will usually use this for PRs): main\n\n"
        "Status:\n M src/ledger/totals.py\n\nRecent commits:\n3e1f2a9 Add tax_rate to Invoice"
    )


def reminder(date: str) -> str:
    return (
        f"<system-reminder>\n{CLAUDE_MD}\n# currentDate\nToday's date is {date}.\n\n"
        f"{IMPORTANT}\n</system-reminder>\n"
    )


def tools() -> list[dict[str, Any]]:
    """Claude Code's key order: name, description, input_schema (not sorted)."""
    return [
        {
            "name": "Read",
            "description": "Reads a file from the local filesystem.",
            "input_schema": {
                "type": "object",
                "properties": {"file_path": {"type": "string"}, "limit": {"type": "number"}},
                "required": ["file_path", "limit"],
                "additionalProperties": False,
            },
        },
        {
            "name": "Bash",
            "description": "Executes a bash command.",
            "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
            "cache_control": {"type": "ephemeral"},
        },
    ]


def claude_code_body(
    *, date: str = "2026-08-14", branch: str = "fix/discount-rounding", cch: str = "4be19f0a"
) -> dict[str, Any]:
    return {
        "model": "claude-opus-4-6",
        "max_tokens": 32000,
        "system": [
            {"type": "text", "text": BILLING.format(cch=cch)},
            {"type": "text", "text": IDENTITY, "cache_control": {"type": "ephemeral"}},
            {
                "type": "text",
                "text": f"{RULES}\n\n{env(date)}\n{MODEL_LINE}\n\n{git(branch)}",
                "cache_control": {"type": "ephemeral"},
            },
        ],
        "tools": tools(),
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": reminder(date)},
                    {"type": "text", "text": QUESTION},
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "Let me look."}]},
        ],
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def prefix_bytes(body: Any) -> bytes:
    """What the prefix cache sees before the dynamic block (the billing line left out)."""
    return dumps([body["tools"], body["system"][1:-1], body["messages"]])


# --- anthropic ------------------------------------------------------------------------------


def test_anthropic_volatile_parts_move_into_one_last_system_block() -> None:
    aligned = align("anthropic", claude_code_body())

    system = aligned.body["system"]
    assert aligned.changed and aligned.skipped is None
    assert [m.kind for m in aligned.moved] == ["env_block", "git_status", "date"]
    assert system[-1] == {
        "type": "text",
        "text": f"{DYNAMIC_HEADER}\n{env('2026-08-14')}\n\n{git('fix/discount-rounding')}"
        "\n\nCurrent date: 2026-08-14",
    }
    assert system[2]["text"] == f"{RULES}\n\n{MODEL_LINE}"
    assert sum(DYNAMIC_HEADER in block["text"] for block in system) == 1


def test_anthropic_client_cache_control_stays_on_the_shrunk_block() -> None:
    system = align("anthropic", claude_code_body()).body["system"]

    assert system[1]["cache_control"] == {"type": "ephemeral"}
    assert system[2]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in system[-1]


def test_anthropic_billing_line_is_reported_and_stays_first() -> None:
    body = claude_code_body()

    aligned = align("anthropic", body)

    assert aligned.billing_line
    assert aligned.body["system"][0] is body["system"][0]
    assert not align("openai-chat", {"messages": []}).billing_line


def test_anthropic_date_leaves_the_system_reminder_and_the_question_is_untouched() -> None:
    body = claude_code_body()

    content = align("anthropic", body).body["messages"][0]["content"]

    assert (
        content[0]["text"] == f"<system-reminder>\n{CLAUDE_MD}\n{IMPORTANT}\n</system-reminder>\n"
    )
    assert content[1] is body["messages"][0]["content"][1]


def test_anthropic_requests_on_different_days_share_every_byte_before_the_dynamic_block() -> None:
    monday = align("anthropic", claude_code_body())
    tuesday = align(
        "anthropic", claude_code_body(date="2026-08-15", branch="feat/refunds", cch="91aa07c3")
    )

    assert prefix_bytes(monday.body) == prefix_bytes(tuesday.body)
    assert monday.body["system"][-1] != tuesday.body["system"][-1]
    before = claude_code_body(date="2026-08-15", branch="feat/refunds")
    assert prefix_bytes(claude_code_body()) != prefix_bytes(before)  # without the aligner


def test_anthropic_input_body_is_not_mutated() -> None:
    body = claude_code_body()
    snapshot = copy.deepcopy(body)

    align("anthropic", body)

    assert body == snapshot
    assert dumps(body) == dumps(snapshot)


def test_aligning_is_deterministic_and_aligning_twice_changes_nothing() -> None:
    first = align("anthropic", claude_code_body())
    second = align("anthropic", claude_code_body())

    again = align("anthropic", first.body)

    assert dumps(first.body) == dumps(second.body)
    assert again.body is first.body
    assert not again.changed and again.moved == ()


def test_anthropic_body_with_nothing_to_move_is_returned_as_the_same_object() -> None:
    body = {
        "model": "claude-sonnet-4-6",
        "system": "You are a terse assistant.",
        "tools": [{"description": "d", "input_schema": {"type": "object"}, "name": "t"}],
        "messages": [{"role": "user", "content": "hi"}],
    }

    aligned = align("anthropic", body)

    assert aligned == Aligned(body)
    assert aligned.body is body


def test_anthropic_string_system_becomes_static_then_dynamic_blocks() -> None:
    body = {
        "system": "You are a helpful assistant.\nToday's date is 2026-08-14.\nBe brief.",
        "messages": [{"role": "user", "content": "hi"}],
    }

    aligned = align("anthropic", body)

    assert aligned.body["system"] == [
        {"type": "text", "text": "You are a helpful assistant.\nBe brief."},
        {"type": "text", "text": f"{DYNAMIC_HEADER}\nCurrent date: 2026-08-14"},
    ]
    assert aligned.moved == (Moved("date", "Today's date is 2026-08-14."),)


def test_anthropic_block_left_empty_is_dropped_and_its_breakpoint_moves_up() -> None:
    body = {
        "system": [
            {"type": "text", "text": RULES},
            {
                "type": "text",
                "text": git("main"),
                "cache_control": {"type": "ephemeral", "ttl": "1h"},
            },
        ],
        "messages": [{"role": "user", "content": "hi"}],
    }

    system = align("anthropic", body).body["system"]

    assert system == [
        {"type": "text", "text": RULES, "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        {"type": "text", "text": f"{DYNAMIC_HEADER}\n{git('main')}"},
    ]


def test_anthropic_string_first_message_loses_only_the_reminder_date() -> None:
    body = {
        "system": "You are Claude Code.",
        "messages": [{"role": "user", "content": reminder("2026-08-14") + QUESTION}],
    }

    aligned = align("anthropic", body)

    assert aligned.body["messages"][0]["content"] == (
        f"<system-reminder>\n{CLAUDE_MD}\n{IMPORTANT}\n</system-reminder>\n{QUESTION}"
    )
    assert aligned.body["system"][-1]["text"] == f"{DYNAMIC_HEADER}\nCurrent date: 2026-08-14"


def test_a_reminder_holding_only_the_date_is_removed_whole() -> None:
    only_date = (
        "<system-reminder>\n# currentDate\nToday's date is 2026-08-14.\n</system-reminder>\n"
    )
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": only_date},
                    {"type": "text", "text": QUESTION},
                ],
            }
        ]
    }

    aligned = align("anthropic", body)

    assert aligned.body["messages"][0]["content"] == [{"type": "text", "text": QUESTION}]
    assert aligned.body["system"] == [
        {"type": "text", "text": f"{DYNAMIC_HEADER}\nCurrent date: 2026-08-14"}
    ]


def test_a_volatile_first_line_of_a_reminder_keeps_the_tag_on_its_own_line() -> None:
    text = (
        "<system-reminder>\nToday's date is 2026-08-14.\nThe user prefers pytest.\n"
        "</system-reminder>"
    )
    body = {"messages": [{"role": "user", "content": f"{text}\n{QUESTION}"}]}

    content = align("anthropic", body).body["messages"][0]["content"]

    assert content == (
        f"<system-reminder>\nThe user prefers pytest.\n</system-reminder>\n{QUESTION}"
    )


@pytest.mark.parametrize(
    "content",
    [
        "<system-reminder>\nToday's date is 2026-08-14.\n</system-reminder>",
        [
            {
                "type": "text",
                "text": "<system-reminder>\nToday's date is 2026-08-14.\n</system-reminder>",
            }
        ],
    ],
)
def test_a_first_message_that_would_be_left_empty_is_left_alone(content: Any) -> None:
    body = {"messages": [{"role": "user", "content": content}]}

    aligned = align("anthropic", body)

    assert aligned.body is body and not aligned.changed


def test_system_items_before_the_first_user_message_are_passed_over() -> None:
    system_item = {"role": "system", "content": "Plan mode is off."}
    body = {
        "messages": [
            system_item,
            {"role": "user", "content": reminder("2026-08-14") + QUESTION},
        ]
    }

    messages = align("anthropic", body).body["messages"]

    assert messages[0] is system_item
    assert "Today's date" not in messages[1]["content"]
    assert messages[1]["content"].endswith(QUESTION)


def test_dates_outside_reminders_and_in_later_messages_stay() -> None:
    body = {
        "system": "You are Claude Code.",
        "messages": [
            {"role": "user", "content": "Today's date is 2026-08-14.\nWhat changed since Monday?"},
            {"role": "assistant", "content": "Let me look."},
            {"role": "user", "content": reminder("2026-08-14") + "and now?"},
        ],
    }

    aligned = align("anthropic", body)

    assert aligned.body is body


@pytest.mark.parametrize(
    "system",
    [
        [{"type": "text", "text": env("2026-08-14")}, {"type": "image", "source": {}}],
        [{"type": "text", "text": env("2026-08-14")}, "plain string"],
        [{"type": "text", "text": None}],
        {"type": "text", "text": env("2026-08-14")},
        42,
    ],
)
def test_anthropic_system_it_cannot_parse_leaves_the_whole_body_untouched(system: Any) -> None:
    body = claude_code_body()
    body["system"] = system
    snapshot = copy.deepcopy(body)

    aligned = align("anthropic", body)

    assert aligned.body is body
    assert not aligned.changed and aligned.moved == ()
    assert aligned.skipped
    assert body == snapshot


# --- tools ----------------------------------------------------------------------------------


def test_tool_definitions_get_a_recursively_sorted_key_order_and_lists_keep_theirs() -> None:
    aligned = align("anthropic", {"tools": tools(), "messages": []})

    read, bash = aligned.body["tools"]
    assert aligned.changed and aligned.moved == ()
    assert list(read) == ["description", "input_schema", "name"]
    assert list(read["input_schema"]) == ["additionalProperties", "properties", "required", "type"]
    assert list(read["input_schema"]["properties"]) == ["file_path", "limit"]
    assert read["input_schema"]["required"] == ["file_path", "limit"]
    assert list(bash) == ["cache_control", "description", "input_schema", "name"]
    assert read == tools()[0]


def test_tools_in_different_key_orders_render_to_the_same_bytes() -> None:
    reordered = [dict(reversed(list(tool.items()))) for tool in tools()]

    one = align("anthropic", {"tools": tools(), "messages": []}).body["tools"]
    other = align("anthropic", {"tools": reordered, "messages": []}).body["tools"]

    assert dumps(one) == dumps(other)


def test_tools_already_in_stable_order_are_not_copied() -> None:
    sorted_tool = {"description": "d", "input_schema": {"type": "object"}, "name": "a"}
    body = {"tools": [sorted_tool, tools()[1]], "messages": []}

    aligned = align("anthropic", body)

    assert aligned.body["tools"][0] is sorted_tool
    assert aligned.body["tools"][1] is not body["tools"][1]


# --- openai chat ----------------------------------------------------------------------------


def chat_body(role: str = "system", date: str = "2026-08-14") -> dict[str, Any]:
    return {
        "model": "gpt-4.1",
        "tools": [
            {
                "type": "function",
                "function": {"name": "read_file", "parameters": {"type": "object"}},
            }
        ],
        "messages": [
            {"role": role, "content": "You are a coding agent. Keep patches minimal."},
            {
                "role": role,
                "content": "Current working directory: /workspace/gatekeeper\n"
                f"Today's date is {date}.",
            },
            {"role": "user", "content": "Fix the failing test."},
        ],
    }


@pytest.mark.parametrize("role", ["system", "developer"])
def test_openai_chat_dynamic_block_is_a_message_right_after_the_system_messages(
    role: str,
) -> None:
    body = chat_body(role)

    aligned = align("openai-chat", body)

    messages = aligned.body["messages"]
    assert [m.kind for m in aligned.moved] == ["cwd", "date"]
    assert messages[0] is body["messages"][0]
    assert messages[1] == {
        "role": role,
        "content": f"{DYNAMIC_HEADER}\nCurrent working directory: /workspace/gatekeeper"
        "\n\nCurrent date: 2026-08-14",
    }
    assert messages[2] is body["messages"][2]
    assert list(aligned.body["tools"][0]) == ["function", "type"]


def test_openai_chat_days_differ_only_in_the_dynamic_message_and_realigning_is_a_no_op() -> None:
    monday = align("openai-chat", chat_body()).body
    tuesday = align("openai-chat", chat_body(date="2026-08-15")).body

    assert dumps(monday["messages"][:1]) == dumps(tuesday["messages"][:1])
    assert monday["messages"][1] != tuesday["messages"][1]
    assert align("openai-chat", monday).body is monday


def test_openai_chat_content_parts_are_split_part_by_part() -> None:
    body = {
        "messages": [
            {
                "role": "system",
                "content": [
                    {"type": "text", "text": "You are a coding agent."},
                    {"type": "text", "text": "Session ID: sess-20260814-77\nBe brief."},
                ],
            },
            {"role": "user", "content": "hi"},
        ]
    }

    messages = align("openai", body).body["messages"]

    assert messages[0]["content"] == [
        {"type": "text", "text": "You are a coding agent."},
        {"type": "text", "text": "Be brief."},
    ]
    assert messages[1]["content"] == f"{DYNAMIC_HEADER}\nSession ID: sess-20260814-77"


def test_openai_chat_system_with_a_non_text_part_is_skipped() -> None:
    body = chat_body()
    body["messages"][1]["content"] = [
        {"type": "text", "text": "Today's date is 2026-08-14."},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]

    aligned = align("openai-chat", body)

    assert aligned.body is body and aligned.skipped and not aligned.changed


def test_openai_chat_system_messages_after_the_conversation_started_stay() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "system", "content": "Today's date is 2026-08-14."},
        ]
    }

    assert align("openai-chat", body).body is body


# --- openai responses -----------------------------------------------------------------------


def responses_body(date: str = "2026-08-14") -> dict[str, Any]:
    return {
        "model": "gpt-5-codex",
        "instructions": f"You are Codex, a coding agent.\n\nCurrent date: {date}\n\n"
        "## How you work\n- Read code before changing it.",
        "input": [{"type": "message", "role": "user", "content": "Fix the test."}],
        "tools": [{"type": "function", "name": "shell", "parameters": {"type": "object"}}],
    }


def test_openai_responses_dynamic_text_follows_the_static_instructions() -> None:
    body = responses_body()

    aligned = align("openai-responses", body)

    assert aligned.body["instructions"] == (
        "You are Codex, a coding agent.\n\n## How you work\n- Read code before changing it."
        f"\n\n{DYNAMIC_HEADER}\nCurrent date: 2026-08-14"
    )
    assert aligned.body["input"] is body["input"]
    assert list(aligned.body["tools"][0]) == ["name", "parameters", "type"]


def test_openai_responses_days_share_the_static_instructions_and_realigning_is_a_no_op() -> None:
    monday = align("responses", responses_body()).body
    tuesday = align("responses", responses_body("2026-08-15")).body

    static = monday["instructions"].split(DYNAMIC_HEADER)[0]
    assert tuesday["instructions"].startswith(static)
    assert monday["instructions"] != tuesday["instructions"]
    assert align("openai-responses", monday).body is monday


def test_openai_responses_instructions_that_are_not_a_string_are_skipped() -> None:
    body = responses_body()
    body["instructions"] = [{"type": "input_text", "text": "Current date: 2026-08-14"}]

    aligned = align("openai-responses", body)

    assert aligned.body is body and aligned.skipped


# --- gemini ---------------------------------------------------------------------------------


def gemini_body(key: str = "systemInstruction", decl: str = "functionDeclarations") -> Any:
    return {
        key: {
            "parts": [
                {"text": "You are a coding agent working in the user's repository."},
                {"text": "Workspace root: /home/dev/acme-billing\nOS: linux\nShell: bash"},
            ]
        },
        "contents": [{"role": "user", "parts": [{"text": "Run the tests."}]}],
        "tools": [
            {decl: [{"name": "run_shell", "parameters": {"type": "OBJECT"}, "description": "d"}]}
        ],
    }


@pytest.mark.parametrize(
    ("key", "decl"),
    [
        ("systemInstruction", "functionDeclarations"),
        ("system_instruction", "function_declarations"),
    ],
)
def test_gemini_dynamic_text_is_a_new_last_part_and_declarations_get_stable_keys(
    key: str, decl: str
) -> None:
    body = gemini_body(key, decl)

    aligned = align("gemini", body)

    assert aligned.body[key]["parts"] == [
        body[key]["parts"][0],
        {"text": "OS: linux\nShell: bash"},
        {"text": f"{DYNAMIC_HEADER}\nWorkspace root: /home/dev/acme-billing"},
    ]
    assert list(aligned.body["tools"][0][decl][0]) == ["description", "name", "parameters"]
    assert align("google", aligned.body).body is aligned.body


def test_gemini_system_instruction_with_a_non_text_part_is_skipped() -> None:
    body = gemini_body()
    body["systemInstruction"]["parts"].append({"inlineData": {"mimeType": "image/png"}})

    aligned = align("gemini", body)

    assert aligned.body is body and aligned.skipped


# --- all formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "make"),
    [
        ("anthropic", claude_code_body),
        ("openai-chat", chat_body),
        ("openai-responses", responses_body),
        ("gemini", gemini_body),
    ],
)
def test_no_wire_format_mutates_its_input(wire: str, make: Any) -> None:
    body = make()
    snapshot = copy.deepcopy(body)

    aligned = align(wire, body)

    assert aligned.changed
    assert dumps(body) == dumps(snapshot)


def test_a_body_that_is_not_an_object_is_skipped() -> None:
    aligned = align("anthropic", [])  # type: ignore[arg-type]

    assert aligned.skipped and not aligned.changed


def test_an_unknown_wire_format_is_an_error() -> None:
    with pytest.raises(UnknownProviderError):
        align("cohere", {})


def test_schema_parameters_keep_the_clients_order_while_other_keys_are_sorted() -> None:
    tool = {
        "name": "search",
        "input_schema": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "what to look for"},
                "limit": {"type": "integer", "description": "how many"},
            },
            "required": ["query"],
        },
        "description": "Search the index.",
    }
    aligned = align("anthropic", {"model": "m", "messages": [], "tools": [tool]})
    assert aligned.changed
    (out,) = aligned.body["tools"]
    assert list(out) == ["description", "input_schema", "name"]
    assert list(out["input_schema"]["properties"]) == ["query", "limit"]
    assert list(out["input_schema"]["properties"]["query"]) == ["description", "type"]
    assert align("anthropic", aligned.body).changed is False


def _dated_tool_description(day: str) -> str:
    return (
        f"Search the web for current information.\nToday's date is {day}.\n"
        "Use it for recent events."
    )


@pytest.mark.parametrize("day", ["2026-11-21", "2026-11-22"])
def test_volatile_lines_in_tool_descriptions_move_to_the_dynamic_block(day: str) -> None:
    tools = [
        {"name": "web_search", "description": _dated_tool_description(day), "input_schema": {}},
        {"name": "Bash", "description": "Run a command.", "input_schema": {}},
    ]
    aligned = align("anthropic", {"model": "m", "messages": [], "tools": tools})
    assert [m.kind for m in aligned.moved] == ["date"]
    assert aligned.moved[0].text == f"(tool web_search) Today's date is {day}."
    search = aligned.body["tools"][0]
    assert (
        search["description"]
        == "Search the web for current information.\nUse it for recent events."
    )
    assert aligned.body["tools"][1] == tools[1]
    assert aligned.body["system"][-1]["text"].startswith(DYNAMIC_HEADER)
    assert f"(tool web_search) Today's date is {day}." in aligned.body["system"][-1]["text"]
    assert tools[0]["description"] == _dated_tool_description(day)  # the input is not mutated


def test_tool_descriptions_align_in_every_wire_format() -> None:
    chat = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [
            {
                "type": "function",
                "function": {"name": "news", "description": _dated_tool_description("2026-11-21")},
            }
        ],
    }
    out = align("openai-chat", chat)
    assert out.body["tools"][0]["function"]["description"].count("\n") == 1
    assert (
        out.body["messages"][0]["role"] == "system"
        and out.body["messages"][1] == chat["messages"][0]
    )
    responses = {
        "model": "m",
        "input": "hi",
        "instructions": "Be brief.",
        "tools": [
            {
                "type": "function",
                "name": "news",
                "description": _dated_tool_description("2026-11-21"),
            }
        ],
    }
    out = align("openai-responses", responses)
    assert out.body["instructions"].startswith("Be brief.\n\n" + DYNAMIC_HEADER)
    gemini = {
        "contents": [],
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "news", "description": _dated_tool_description("2026-11-21")}
                ]
            }
        ],
    }
    out = align("gemini", gemini)
    assert "Today's date" not in out.body["tools"][0]["functionDeclarations"][0]["description"]
    assert out.body["systemInstruction"]["parts"][-1]["text"].startswith(DYNAMIC_HEADER)
