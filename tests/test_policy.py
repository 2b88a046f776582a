from __future__ import annotations

import pytest

from headroom.config import ConfigError, load_settings
from headroom.policy import Policy, policy_for


@pytest.mark.parametrize(
    ("tool", "policy"),
    [
        ("headroom_retrieve", Policy.NEVER),
        ("mcp__headroom__headroom_retrieve", Policy.NEVER),
        ("Edit", Policy.NEVER),
        ("apply_patch", Policy.NEVER),
        ("Task", Policy.LOSSLESS_ONLY),
        ("Bash", Policy.COMPRESS),
        ("mcp__github__list_issues", Policy.COMPRESS),
        (None, Policy.COMPRESS),
    ],
)
def test_shipped_defaults(tool: str | None, policy: Policy) -> None:
    assert policy_for(tool) is policy


def test_user_entries_come_first_and_defaults_still_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADROOM_TOOL_POLICY", "mcp__db__*=lossless-only, Read=never")
    table = load_settings().tool_policy
    assert policy_for("mcp__db__query", table) is Policy.LOSSLESS_ONLY
    assert policy_for("Read", table) is Policy.NEVER
    assert policy_for("headroom_retrieve", table) is Policy.NEVER
    assert policy_for("Bash", table) is Policy.COMPRESS


def test_an_unknown_policy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_TOOL_POLICY", "Bash=shrink")
    with pytest.raises(ConfigError, match="unknown policy 'shrink'"):
        load_settings()


def test_policy_table_from_the_config_file(_isolated_home: object) -> None:
    from pathlib import Path

    home = Path(str(_isolated_home))
    home.mkdir(parents=True)
    (home / "config.toml").write_text('[tool_policy]\n"mcp__*" = "never"\n')
    assert policy_for("mcp__x__y", load_settings().tool_policy) is Policy.NEVER
