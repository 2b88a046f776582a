"""The Codex agent spec of `headroom wrap`: overrides, `--persist` and `unwrap`.

These run without the Codex CLI: they check the argv and the config file the
spec produces. `test_codex_e2e.py` runs the real CLI with them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from headroom.integrations.wrap import manifest
from headroom.integrations.wrap.base import CannotPersist, get_agent
from headroom.integrations.wrap.codex import (
    AGENT,
    override_args,
    persisted_config,
    provider_table,
)

PROXY = "http://127.0.0.1:8787"

#: A user's config with comments, a root provider, tables and no final newline.
USER_CONFIG = (
    b'# my codex settings\nmodel = "gpt-5"\nmodel_provider = "azure"  # work account\n'
    b'approval_policy = "on-request"\n\n[model_providers.azure]\nname = "Azure"\n'
    b'base_url = "https://example.openai.azure.com/openai"\nenv_key = "AZURE_OPENAI_API_KEY"\n'
    b'wire_api = "responses"\n\n[profiles.fast]\nmodel = "gpt-5-mini"'
)


@pytest.fixture
def codex_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake user home with Codex's folder; OPENAI_API_KEY set, CODEX_HOME unset."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CODEX_HOME", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    return home / ".codex"


@pytest.fixture
def headroom_home(tmp_path: Path) -> Path:
    return tmp_path / "headroom-home"


def _overrides(argv: list[str]) -> dict[str, object]:
    """The `-c key=value` options of an argv, parsed the way Codex parses them (as TOML)."""
    values = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-c"]
    parsed: dict[str, object] = {}
    for value in values:
        key, _, literal = value.partition("=")
        parsed[key] = tomllib.loads(f"v = {literal}")["v"]
    return parsed


def test_the_registry_finds_the_codex_spec() -> None:
    agent = get_agent("codex")
    assert agent is AGENT
    assert (agent.name, agent.binary) == ("codex", "codex")


def test_the_provider_uses_the_responses_wire_under_v1() -> None:
    table = provider_table(PROXY + "/", {"OPENAI_API_KEY": "sk-test"})
    assert table["base_url"] == "http://127.0.0.1:8787/v1"
    assert table["wire_api"] == "responses"
    assert table["env_key"] == "OPENAI_API_KEY"
    assert "requires_openai_auth" not in table


def test_without_an_api_key_in_the_environment_codex_uses_its_own_login() -> None:
    table = provider_table(PROXY, {})
    assert table["requires_openai_auth"] is True
    assert "env_key" not in table


def test_the_overrides_are_valid_toml_that_selects_the_provider() -> None:
    table = provider_table(PROXY, {"OPENAI_API_KEY": "sk-test"})
    parsed = _overrides(override_args(table))
    assert parsed == {"model_provider": "headroom", "model_providers.headroom": table}


def test_a_plain_wrap_puts_the_overrides_first_and_writes_nothing(
    codex_home: Path, headroom_home: Path
) -> None:
    codex_home.mkdir()
    (codex_home / "config.toml").write_bytes(USER_CONFIG)
    launch = AGENT.launch(PROXY, ["exec", "hi"], persist=False, home=headroom_home)
    assert launch.argv[0] == "codex"
    assert launch.argv[-2:] == ["exec", "hi"]
    assert _overrides(launch.argv)["model_provider"] == "headroom"
    assert launch.argv.index("-c") == 1
    assert (codex_home / "config.toml").read_bytes() == USER_CONFIG
    assert sorted(p.name for p in codex_home.iterdir()) == ["config.toml"]
    assert not manifest.load(headroom_home, "codex")


def test_persist_selects_the_provider_and_keeps_every_other_setting(
    codex_home: Path, headroom_home: Path
) -> None:
    codex_home.mkdir()
    config = codex_home / "config.toml"
    config.write_bytes(USER_CONFIG)
    launch = AGENT.launch(PROXY, ["exec", "hi"], persist=True, home=headroom_home)
    assert launch.argv == ["codex", "exec", "hi"]
    assert launch.note is not None and "headroom unwrap codex" in launch.note
    written = tomllib.loads(config.read_text())
    before = tomllib.loads(USER_CONFIG.decode())
    assert written["model_provider"] == "headroom"
    assert written["model_providers"]["headroom"]["base_url"] == PROXY + "/v1"
    assert written["model_providers"]["azure"] == before["model_providers"]["azure"]
    assert written["profiles"] == before["profiles"]
    assert written["approval_policy"] == before["approval_policy"]


def test_unwrap_restores_the_config_byte_for_byte(codex_home: Path, headroom_home: Path) -> None:
    codex_home.mkdir()
    config = codex_home / "config.toml"
    config.write_bytes(USER_CONFIG)
    AGENT.launch(PROXY, [], persist=True, home=headroom_home)
    assert config.read_bytes() != USER_CONFIG
    lines = AGENT.unwrap(headroom_home)
    assert config.read_bytes() == USER_CONFIG
    assert len(lines) == 1 and str(config) in lines[0]
    assert AGENT.unwrap(headroom_home) == []


def test_unwrap_removes_a_config_and_folder_that_wrap_created(
    codex_home: Path, headroom_home: Path
) -> None:
    AGENT.launch(PROXY, [], persist=True, home=headroom_home)
    assert tomllib.loads((codex_home / "config.toml").read_text())["model_provider"] == "headroom"
    AGENT.unwrap(headroom_home)
    assert not codex_home.exists()


def test_a_second_persist_moves_the_port_and_unwrap_still_goes_back_to_the_start(
    codex_home: Path, headroom_home: Path
) -> None:
    codex_home.mkdir()
    config = codex_home / "config.toml"
    config.write_bytes(USER_CONFIG)
    AGENT.launch(PROXY, [], persist=True, home=headroom_home)
    AGENT.launch("http://127.0.0.1:9999", [], persist=True, home=headroom_home)
    provider = tomllib.loads(config.read_text())["model_providers"]["headroom"]
    assert provider["base_url"] == "http://127.0.0.1:9999/v1"
    AGENT.unwrap(headroom_home)
    assert config.read_bytes() == USER_CONFIG


@pytest.mark.parametrize(
    ("original", "reason"),
    [
        (b"model = [unclosed\n", "is not valid TOML"),
        (b'[model_providers.headroom]\nname = "mine"\n', "already defines"),
        (b'model_providers = { a = { name = "A" } }\n', "without changing other settings"),
        (b"\xff\xfe", "is not UTF-8"),
    ],
)
def test_a_config_that_cannot_be_edited_safely_is_refused_and_left_alone(
    codex_home: Path, headroom_home: Path, original: bytes, reason: str
) -> None:
    codex_home.mkdir()
    config = codex_home / "config.toml"
    config.write_bytes(original)
    with pytest.raises(CannotPersist, match=reason) as refused:
        AGENT.launch(PROXY, ["exec"], persist=True, home=headroom_home)
    assert str(config) in str(refused.value)
    assert config.read_bytes() == original
    assert not manifest.load(headroom_home, "codex")


def test_a_config_persisted_into_nothing_is_just_the_provider(tmp_path: Path) -> None:
    table = provider_table(PROXY, {})
    data = tomllib.loads(persisted_config(None, table, tmp_path / "config.toml").decode())
    assert data == {"model_provider": "headroom", "model_providers": {"headroom": table}}


def test_codex_home_from_the_environment_is_where_persist_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headroom_home: Path
) -> None:
    elsewhere = tmp_path / "custom-codex"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CODEX_HOME", str(elsewhere))
    AGENT.launch(PROXY, [], persist=True, home=headroom_home)
    assert (elsewhere / "config.toml").is_file()
    assert not (tmp_path / "home" / ".codex").exists()


def test_without_a_proxy_codex_goes_direct_with_the_args_untouched(
    codex_home: Path, headroom_home: Path
) -> None:
    launch = AGENT.launch(None, ["exec", "hi"], persist=False, home=headroom_home)
    assert launch.argv == ["codex", "exec", "hi"]


def test_without_a_proxy_a_persisted_config_is_overridden_back_to_its_old_provider(
    codex_home: Path, headroom_home: Path
) -> None:
    codex_home.mkdir()
    (codex_home / "config.toml").write_bytes(USER_CONFIG)
    AGENT.launch(PROXY, [], persist=True, home=headroom_home)
    launch = AGENT.launch(None, ["exec"], persist=False, home=headroom_home)
    assert _overrides(launch.argv) == {"model_provider": "azure"}
    assert launch.argv[-1] == "exec"


def test_without_a_proxy_a_created_config_falls_back_to_the_openai_provider(
    codex_home: Path, headroom_home: Path
) -> None:
    AGENT.launch(PROXY, [], persist=True, home=headroom_home)
    launch = AGENT.launch(None, [], persist=True, home=headroom_home)
    assert _overrides(launch.argv) == {"model_provider": "openai"}


def test_a_chatgpt_sign_in_goes_direct_and_says_why(
    codex_home: Path, headroom_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    codex_home.mkdir()
    (codex_home / "auth.json").write_text('{"auth_mode": "chatgpt", "tokens": null}')
    launch = AGENT.launch(PROXY, ["exec"], persist=False, home=headroom_home)
    assert launch.argv == ["codex", "exec"]
    assert launch.note is not None and "ChatGPT" in launch.note
    with pytest.raises(CannotPersist, match="ChatGPT"):
        AGENT.launch(PROXY, ["exec"], persist=True, home=headroom_home)
    assert not (codex_home / "config.toml").exists()


def test_an_api_key_login_goes_through_the_proxy(
    codex_home: Path, headroom_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    codex_home.mkdir()
    (codex_home / "auth.json").write_text('{"auth_mode": "apikey", "OPENAI_API_KEY": "sk-x"}')
    launch = AGENT.launch(PROXY, ["exec"], persist=False, home=headroom_home)
    provider = _overrides(launch.argv)["model_providers.headroom"]
    assert provider == provider_table(PROXY, {})


def test_a_model_provider_inside_a_profile_is_kept(tmp_path: Path) -> None:
    original = b'model = "gpt-5"\n[profiles.work]\nmodel_provider = "azure"\n'
    table = provider_table(PROXY, {})
    data = tomllib.loads(persisted_config(original, table, tmp_path / "config.toml").decode())
    assert data["profiles"] == {"work": {"model_provider": "azure"}}
    assert data["model_provider"] == "headroom"


def test_persist_after_the_user_edited_the_persisted_file_is_refused(
    codex_home: Path, headroom_home: Path
) -> None:
    codex_home.mkdir()
    config = codex_home / "config.toml"
    config.write_bytes(USER_CONFIG)
    AGENT.launch(PROXY, [], persist=True, home=headroom_home)
    edited = config.read_bytes() + b'\n[profiles.new]\nmodel = "o3"\n'
    config.write_bytes(edited)
    with pytest.raises(CannotPersist, match="headroom unwrap codex"):
        AGENT.launch("http://127.0.0.1:9999", [], persist=True, home=headroom_home)
    assert config.read_bytes() == edited
    AGENT.unwrap(headroom_home)
    assert config.read_bytes() == USER_CONFIG
