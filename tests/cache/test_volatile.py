"""Finding per-day and per-session content in prompt text (`headroom.cache.volatile`).

The fixture is shaped like Claude Code's system prompt: an `<env>` block with
the date, a `gitStatus:` snapshot with blank lines inside it, and a session
line. The point of the module is that two such prompts from different days
and sessions have byte-identical static parts.
"""

from __future__ import annotations

import pytest

from headroom.cache.volatile import (
    DYNAMIC_HEADER,
    Moved,
    is_billing_line,
    render_dynamic,
    split_volatile,
)

INTRO = """You are an interactive CLI tool that helps users with software engineering tasks.
Use the instructions below and the tools available to you to assist the user.

# Tone and style
- Be concise. Answer in fewer than 4 lines unless asked for detail.
- Refer to code as `file_path:line_number`.

# Doing tasks
- Use the TodoWrite tool to plan the task if required
- Verify the solution if possible with tests."""

MODEL_LINE = "You are powered by the model named Opus 4.6. The exact model ID is claude-opus-4-6."


def env_block(date: str, cwd: str = "/home/dev/ledger") -> str:
    return (
        "Here is useful information about the environment you are running in:\n"
        "<env>\n"
        f"Working directory: {cwd}\n"
        "Is directory a git repo: Yes\n"
        "Platform: linux\n"
        "OS Version: Linux 6.8.0-45-generic\n"
        f"Today's date: {date}\n"
        "</env>"
    )


def git_status(branch: str, change: str) -> str:
    return (
        "gitStatus: This is the git status at the start of the conversation. Note that this "
        "status is a snapshot in time, and will not update during the conversation.\n"
        f"Current branch: {branch}\n\n"
        "Main branch (you will usually use this for PRs): main\n\n"
        f"Status:\n M {change}\n?? notes.txt\n\n"
        "Recent commits:\n3e1f2a9 Add tax_rate to Invoice\n91c04bd Split totals out of invoice.py"
    )


def claude_code_prompt(
    *,
    date: str = "2026-08-14",
    session: str = "6f1c2a9e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
    branch: str = "fix/discount-rounding",
    change: str = "src/ledger/totals.py",
) -> str:
    return (
        f"{INTRO}\n\n{env_block(date)}\n{MODEL_LINE}\n\n"
        f"Session ID: {session}\n\n{git_status(branch, change)}\n"
    )


STATIC = f"{INTRO}\n\n{MODEL_LINE}\n"


def test_claude_code_prompt_moves_env_session_and_git_status_in_order() -> None:
    split = split_volatile(claude_code_prompt())

    assert split.moved == (
        Moved("env_block", env_block("2026-08-14")),
        Moved("session_id", "Session ID: 6f1c2a9e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"),
        Moved("git_status", git_status("fix/discount-rounding", "src/ledger/totals.py")),
    )


def test_static_text_keeps_every_other_line_byte_for_byte() -> None:
    split = split_volatile(claude_code_prompt())

    assert split.static == STATIC


def test_prompts_from_different_days_and_sessions_have_identical_static_parts() -> None:
    monday = split_volatile(claude_code_prompt())
    tuesday = split_volatile(
        claude_code_prompt(
            date="2026-08-15",
            session="0b7e41d2-9c55-4a61-8f3e-2d6c9a1b7e40",
            branch="feat/refunds",
            change="src/ledger/refunds.py",
        )
    )

    assert monday.static.encode() == tuesday.static.encode()
    assert monday.moved != tuesday.moved


def test_text_with_nothing_volatile_comes_back_unchanged() -> None:
    text = f"{INTRO}\n\nUse `date +%F` to print the date. Run the test suite with pytest.\n"

    split = split_volatile(text)

    assert split.static is text
    assert split.moved == ()


@pytest.mark.parametrize(
    ("line", "rendered"),
    [
        ("Today's date is 2026-11-21.", "Current date: 2026-11-21"),
        ("Today's date: 2026-11-21", "Current date: 2026-11-21"),
        ("Today is Saturday, November 21, 2026.", "Current date: Saturday, November 21, 2026"),
        ("The current date is 21 Nov 2026.", "Current date: 21 Nov 2026"),
        ("- **Current date:** 2026-11-21", "Current date: 2026-11-21"),
        ("Current time: 14:05 UTC", "Current time: 14:05 UTC"),
        ("Date: 2026-11-21", "Date: 2026-11-21"),
        ("Session started: 2026-11-21T14:05:09Z", "Session started: 2026-11-21T14:05:09Z"),
        ("2026-11-21T14:05:09.123+01:00", "2026-11-21T14:05:09.123+01:00"),
    ],
)
def test_date_lines_move_and_render_with_their_meaning(line: str, rendered: str) -> None:
    split = split_volatile(f"You are a helpful assistant.\n{line}\nAnswer briefly.")

    assert split.static == "You are a helpful assistant.\nAnswer briefly."
    assert split.moved == (Moved("date", line),)
    assert render_dynamic(split.moved) == f"{DYNAMIC_HEADER}\n{rendered}"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Session ID: 6f1c2a9e-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "session_id"),
        ("Conversation id = conv_20261121_8812", "session_id"),
        ("Your session is `sess-8f2c1a9e`.", "session_id"),
        ("Trace: 3f2a9c1b-7e4d-4f00-9a1b-0c1d2e3f4a5b", "uuid"),
        ("3f2a9c1b-7e4d-4f00-9a1b-0c1d2e3f4a5b", "uuid"),
        ("Cache key: 9f86d081884c7d659a2feaa0c55ad015", "hex_id"),
        ("Working directory: /home/dev/ledger", "cwd"),
        ("Current working directory is /srv/app.", "cwd"),
        ("Primary working directory: C:\\Users\\dev\\ledger", "cwd"),
        ("Workspace root: ~/src/acme-billing", "cwd"),
    ],
)
def test_labelled_ids_and_directories_move_as_whole_lines(line: str, kind: str) -> None:
    split = split_volatile(f"Be brief.\n{line}\nCite files.")

    assert split.static == "Be brief.\nCite files."
    assert split.moved == (Moved(kind, line),)


@pytest.mark.parametrize(
    "line",
    [
        "Call get_user with an id like 3f2a9c1b-7e4d-4f00-9a1b-0c1d2e3f4a5b to fetch a user.",
        "Example id: 3f2a9c1b-7e4d-4f00-9a1b-0c1d2e3f4a5b",
        "Date format: YYYY-MM-DD",
        "Date: use ISO dates, e.g. 2024-01-31",
        "Commit: 3e1f2a9",
        "Build number: 12345678901234567890",
        "Digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "Session: interactive",
        "Project root: the top of the repository",
        "Knowledge cutoff: January 2025",
        "Times out after 10:00 minutes.",
    ],
)
def test_static_lines_that_only_look_volatile_stay(line: str) -> None:
    text = f"Be brief.\n{line}\nCite files."

    assert split_volatile(text).moved == ()


def test_nothing_inside_a_fenced_code_block_moves() -> None:
    text = (
        "Log lines look like this:\n"
        "```\n"
        "Session ID: 6f1c2a9e-5b6d-4e7f-8a9b-0c1d2e3f4a5b\n"
        "Today's date is 2024-01-31.\n"
        "```\n"
        "Today's date is 2026-11-21."
    )

    split = split_volatile(text)

    assert split.moved == (Moved("date", "Today's date is 2026-11-21."),)
    assert split.static == text.rsplit("\n", 1)[0]


def test_a_heading_whose_whole_section_moved_goes_with_it() -> None:
    text = (
        "# claudeMd\n- Money is always Decimal.\n\n# currentDate\nToday's date is 2026-08-14.\n\n"
        "      IMPORTANT: this context may or may not be relevant to your tasks.\n"
    )

    split = split_volatile(text)

    assert split.moved == (Moved("date", "# currentDate\nToday's date is 2026-08-14."),)
    assert split.static == (
        "# claudeMd\n- Money is always Decimal.\n\n"
        "      IMPORTANT: this context may or may not be relevant to your tasks.\n"
    )
    assert render_dynamic(split.moved).endswith("\nCurrent date: 2026-08-14")


def test_a_heading_over_other_lines_stays() -> None:
    text = "# Context\nToday's date is 2026-08-14.\nThe repo uses Decimal for money."

    split = split_volatile(text)

    assert split.static == "# Context\nThe repo uses Decimal for money."


def test_removed_block_between_paragraphs_leaves_one_blank_line() -> None:
    text = "First paragraph.\n\nSession ID: sess-20261121-01\n\nSecond paragraph."

    assert split_volatile(text).static == "First paragraph.\n\nSecond paragraph."


def test_removed_line_between_a_paragraph_and_a_blank_line_keeps_the_blank_line() -> None:
    text = "First paragraph.\nSession ID: sess-20261121-01\n\nSecond paragraph."

    assert split_volatile(text).static == "First paragraph.\n\nSecond paragraph."


def test_removed_block_at_the_end_leaves_no_dangling_blank_lines() -> None:
    text = f"Static rules.\n\n\n{git_status('main', 'a.py')}\n\n"

    assert split_volatile(text).static == "Static rules.\n"


def test_removed_block_at_the_start_leaves_no_leading_blank_lines() -> None:
    text = f"{env_block('2026-08-14')}\n\nStatic rules."

    assert split_volatile(text).static == "Static rules."


def test_text_that_is_all_volatile_leaves_an_empty_static_part() -> None:
    text = "Today's date is 2026-08-14.\n"

    split = split_volatile(text)

    assert split.static == ""
    assert split.moved == (Moved("date", "Today's date is 2026-08-14."),)


def test_git_status_ends_at_a_paragraph_that_is_not_part_of_it() -> None:
    text = f"{git_status('main', 'a.py')}\n\nAlways run the tests before you commit."

    split = split_volatile(text)

    assert [m.kind for m in split.moved] == ["git_status"]
    assert split.static == "Always run the tests before you commit."


def test_env_block_without_a_closing_tag_is_not_moved_as_a_block() -> None:
    text = "<env>\nPlatform: linux\nOS Version: Linux 6.8.0\nThe shell is bash."

    split = split_volatile(text)

    assert "env_block" not in {m.kind for m in split.moved}
    assert "Platform: linux" in split.static


def test_windows_line_endings_keep_their_carriage_returns() -> None:
    text = "Be brief.\r\nToday's date is 2026-08-14.\r\nCite files.\r\n"

    split = split_volatile(text)

    assert split.static == "Be brief.\r\nCite files.\r\n"
    assert split.moved == (Moved("date", "Today's date is 2026-08-14.\r"),)


def test_billing_line_is_recognised_and_left_in_place() -> None:
    line = "x-anthropic-billing-header: cc_version=2.1.240.7c3; cc_entrypoint=cli; cch=4be19f0a;"

    assert is_billing_line(line)
    assert not is_billing_line("You are Claude Code, Anthropic's official CLI for Claude.")
    assert split_volatile(line).static is line
    assert split_volatile(line).moved == ()


def test_render_dynamic_starts_with_the_header_and_keeps_parts_verbatim() -> None:
    moved = split_volatile(claude_code_prompt()).moved

    rendered = render_dynamic(moved)

    assert rendered.split("\n", 1)[0] == DYNAMIC_HEADER
    assert rendered == DYNAMIC_HEADER + "\n" + "\n\n".join(m.text for m in moved)
    assert render_dynamic(()) == ""


def test_a_rendered_dynamic_block_is_left_alone() -> None:
    dynamic = render_dynamic(split_volatile(claude_code_prompt()).moved)
    appended = f"{STATIC}\n{dynamic}"

    assert split_volatile(dynamic).moved == ()
    assert split_volatile(appended).static == appended
    assert split_volatile(appended).moved == ()


def test_splitting_is_deterministic_and_splitting_the_static_part_moves_nothing() -> None:
    first, second = split_volatile(claude_code_prompt()), split_volatile(claude_code_prompt())

    assert first == second
    assert split_volatile(first.static) == type(first)(first.static, ())
