"""The agent specs of `headroom wrap`: where each points its agent, and exact unwraps.

HOME is a temporary folder in every test, so the agents' config files here
are throwaway copies; `unwrap` must leave each one byte-identical to what it
was before wrap (or absent, when it did not exist).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headroom.integrations.wrap import aider, claude, manifest, opencode
from headroom.integrations.wrap.base import AGENTS, CannotPersist, UnknownAgent, get_agent

URL = "http://127.0.0.1:8787"
OTHER_URL = "http://127.0.0.1:9999"

#: A settings.json with other keys, tabs, odd spacing, non-ASCII and no final newline.
ODD_SETTINGS = (
    b'{\n\t"model" :   "opus",\n\t"env": {"FOO": "b\xc3\xa4r", "ANTHROPIC_BASE_URL": '
    b'"https://gateway.example"},\n  "hooks": {"Stop": []},  "permissions": {"allow": '
    b'["Bash(ls:*)"]}\n}'
)


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def hr_home(tmp_path: Path) -> Path:
    return tmp_path / "headroom-home"


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# --- the registry ---------------------------------------------------------------------


def test_the_registry_names_every_agent_and_loads_each_spec_by_name() -> None:
    assert set(AGENTS) == {"claude", "codex", "aider", "opencode"}
    for name in ("claude", "aider", "opencode"):
        spec = get_agent(name)
        assert spec.name == name
        assert spec.binary == name


def test_an_unknown_agent_is_refused_with_the_known_names() -> None:
    with pytest.raises(UnknownAgent, match="claude"):
        get_agent("cursor")


# --- claude ---------------------------------------------------------------------------


def test_claude_without_persist_uses_only_the_environment(user_home: Path, hr_home: Path) -> None:
    launch = claude.AGENT.launch(URL, ["-p", "hi"], persist=False, home=hr_home)

    assert launch.argv == ["claude", "-p", "hi"]
    assert launch.env == {"ANTHROPIC_BASE_URL": URL}
    assert tree(user_home) == []
    assert not hr_home.exists()


def test_claude_overrides_a_settings_file_base_url_that_would_win(
    user_home: Path, hr_home: Path
) -> None:
    (user_home / ".claude").mkdir()
    (user_home / ".claude" / "settings.json").write_bytes(ODD_SETTINGS)

    launch = claude.AGENT.launch(URL, ["-p", "hi"], persist=False, home=hr_home)

    assert launch.argv[1] == "--settings"
    assert json.loads(launch.argv[2]) == {"env": {"ANTHROPIC_BASE_URL": URL}}
    assert launch.argv[3:] == ["-p", "hi"]
    assert (user_home / ".claude" / "settings.json").read_bytes() == ODD_SETTINGS


def test_claude_persist_merges_env_and_unwrap_restores_the_exact_bytes(
    user_home: Path, hr_home: Path
) -> None:
    path = user_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(ODD_SETTINGS)

    launch = claude.AGENT.launch(URL, [], persist=True, home=hr_home)

    settings = json.loads(path.read_bytes())
    assert settings["env"] == {"FOO": "bär", "ANTHROPIC_BASE_URL": URL}
    assert settings["hooks"] == {"Stop": []}
    assert list(settings) == ["model", "env", "hooks", "permissions"]
    assert launch.note is not None and "unwrap claude" in launch.note
    assert launch.argv == ["claude"]  # the file now says the same as the environment

    done = claude.AGENT.unwrap(hr_home)

    assert path.read_bytes() == ODD_SETTINGS
    assert done == [f"restored {path} to what it was before wrap"]
    assert not manifest.manifest_path(hr_home, "claude").exists()
    assert claude.AGENT.unwrap(hr_home) == []


def test_claude_persist_creates_a_missing_file_and_unwrap_removes_it_and_its_folder(
    user_home: Path, hr_home: Path
) -> None:
    claude.AGENT.launch(URL, [], persist=True, home=hr_home)
    path = user_home / ".claude" / "settings.json"
    assert json.loads(path.read_bytes()) == {"env": {"ANTHROPIC_BASE_URL": URL}}

    claude.AGENT.unwrap(hr_home)

    assert tree(user_home) == []


def test_claude_persist_twice_still_unwraps_to_the_first_original(
    user_home: Path, hr_home: Path
) -> None:
    path = user_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(ODD_SETTINGS)

    claude.AGENT.launch(URL, [], persist=True, home=hr_home)
    claude.AGENT.launch(OTHER_URL, [], persist=True, home=hr_home)
    assert json.loads(path.read_bytes())["env"]["ANTHROPIC_BASE_URL"] == OTHER_URL

    claude.AGENT.unwrap(hr_home)

    assert path.read_bytes() == ODD_SETTINGS


def test_unwrap_keeps_a_copy_of_a_file_edited_after_wrap(user_home: Path, hr_home: Path) -> None:
    path = user_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(ODD_SETTINGS)
    claude.AGENT.launch(URL, [], persist=True, home=hr_home)
    edited = path.read_bytes().replace(b'"opus"', b'"sonnet"')
    path.write_bytes(edited)

    [line] = claude.AGENT.unwrap(hr_home)

    backup = path.with_name("settings.json" + manifest.BACKUP_SUFFIX)
    assert path.read_bytes() == ODD_SETTINGS
    assert backup.read_bytes() == edited
    assert str(backup) in line


def test_claude_refuses_to_persist_into_a_file_that_is_not_json(
    user_home: Path, hr_home: Path
) -> None:
    path = user_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(b"{ // a comment\n}")

    with pytest.raises(CannotPersist, match="not plain JSON"):
        claude.AGENT.launch(URL, [], persist=True, home=hr_home)
    assert path.read_bytes() == b"{ // a comment\n}"
    assert manifest.load(hr_home, "claude") == []


def test_claude_without_a_proxy_after_persist_goes_back_to_the_earlier_url(
    user_home: Path, hr_home: Path
) -> None:
    path = user_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(ODD_SETTINGS)
    claude.AGENT.launch(URL, [], persist=True, home=hr_home)

    launch = claude.AGENT.launch(None, ["-p", "hi"], persist=False, home=hr_home)

    assert launch.env == {}
    assert launch.argv[:2] == ["claude", "--settings"]
    assert json.loads(launch.argv[2]) == {"env": {"ANTHROPIC_BASE_URL": "https://gateway.example"}}


def test_claude_without_a_proxy_after_persisting_into_no_file_goes_to_anthropic(
    user_home: Path, hr_home: Path
) -> None:
    claude.AGENT.launch(URL, [], persist=True, home=hr_home)

    launch = claude.AGENT.launch(None, [], persist=False, home=hr_home)

    assert json.loads(launch.argv[2]) == {"env": {"ANTHROPIC_BASE_URL": claude.DIRECT_URL}}


def test_claude_without_a_proxy_and_nothing_persisted_runs_plain(
    user_home: Path, hr_home: Path
) -> None:
    launch = claude.AGENT.launch(None, ["-p", "hi"], persist=False, home=hr_home)

    assert launch.argv == ["claude", "-p", "hi"]
    assert launch.env == {}


# --- aider ----------------------------------------------------------------------------

AIDER_CONF = (
    b"# my aider settings\nmodel: sonnet   # the usual\nopenai-api-base: https://llm.example/v1\n"
)


def test_aider_points_both_providers_at_the_proxy_through_the_environment(
    user_home: Path, hr_home: Path
) -> None:
    launch = aider.AGENT.launch(URL, ["--model", "sonnet"], persist=False, home=hr_home)

    assert launch.argv == ["aider", "--model", "sonnet"]
    assert launch.env == {"OPENAI_API_BASE": f"{URL}/v1", "ANTHROPIC_BASE_URL": URL}
    assert tree(user_home) == []


def test_aider_persist_appends_a_block_that_wins_and_unwrap_restores_the_bytes(
    user_home: Path, hr_home: Path
) -> None:
    yaml = pytest.importorskip("yaml")
    path = user_home / ".aider.conf.yml"
    path.write_bytes(AIDER_CONF)

    launch = aider.AGENT.launch(URL, [], persist=True, home=hr_home)

    text = path.read_bytes()
    assert text.startswith(AIDER_CONF)
    loaded = yaml.safe_load(text)
    assert loaded["openai-api-base"] == f"{URL}/v1"
    assert loaded["set-env"] == [f"ANTHROPIC_BASE_URL={URL}"]
    assert loaded["model"] == "sonnet"
    # The file now names the proxy, so the options (which win over it) do too.
    assert launch.argv == ["aider", *aider._options(f"{URL}/v1", URL)]

    aider.AGENT.unwrap(hr_home)

    assert path.read_bytes() == AIDER_CONF


def test_aider_persist_twice_keeps_one_block(user_home: Path, hr_home: Path) -> None:
    path = user_home / ".aider.conf.yml"
    path.write_bytes(AIDER_CONF)

    aider.AGENT.launch(URL, [], persist=True, home=hr_home)
    aider.AGENT.launch(OTHER_URL, [], persist=True, home=hr_home)

    text = path.read_text()
    assert text.count(aider.BEGIN) == 1
    assert OTHER_URL in text and URL not in text
    aider.AGENT.unwrap(hr_home)
    assert path.read_bytes() == AIDER_CONF


def test_aider_persist_into_no_file_and_unwrap_removes_it(user_home: Path, hr_home: Path) -> None:
    aider.AGENT.launch(URL, [], persist=True, home=hr_home)
    assert (user_home / ".aider.conf.yml").is_file()

    aider.AGENT.unwrap(hr_home)

    assert tree(user_home) == []


def test_aider_refuses_to_replace_the_users_own_set_env(user_home: Path, hr_home: Path) -> None:
    path = user_home / ".aider.conf.yml"
    path.write_bytes(b"set-env:\n  - FOO=1\n")

    with pytest.raises(CannotPersist, match="set-env"):
        aider.AGENT.launch(URL, [], persist=True, home=hr_home)
    assert path.read_bytes() == b"set-env:\n  - FOO=1\n"


def test_aider_without_a_proxy_after_persist_passes_the_earlier_urls(
    user_home: Path, hr_home: Path
) -> None:
    (user_home / ".aider.conf.yml").write_bytes(AIDER_CONF)
    aider.AGENT.launch(URL, [], persist=True, home=hr_home)

    launch = aider.AGENT.launch(None, ["--yes"], persist=False, home=hr_home)

    assert launch.env == {}
    assert launch.argv == [
        "aider",
        "--openai-api-base",
        "https://llm.example/v1",
        "--set-env",
        f"ANTHROPIC_BASE_URL={aider.DIRECT_ANTHROPIC}",
        "--yes",
    ]


# --- opencode -------------------------------------------------------------------------

OPENCODE_CONF = (
    b'{"$schema": "https://opencode.ai/config.json", "theme": "tokyonight",\n'
    b' "provider": {"anthropic": {"options": {"timeout": 600000}}, '
    b'"local": {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://localhost:1234/v1"}}}}'
)


def test_opencode_points_providers_at_the_proxy_through_inline_config(
    user_home: Path, hr_home: Path
) -> None:
    launch = opencode.AGENT.launch(URL, ["run", "hi"], persist=False, home=hr_home)

    assert launch.argv == ["opencode", "run", "hi"]
    inline = json.loads(launch.env["OPENCODE_CONFIG_CONTENT"])
    assert inline == {
        "provider": {
            "anthropic": {"options": {"baseURL": f"{URL}/v1"}},
            "openai": {"options": {"baseURL": f"{URL}/v1"}},
        }
    }
    assert tree(user_home) == []


def test_opencode_persist_sets_base_urls_keeps_the_rest_and_unwrap_restores_bytes(
    user_home: Path, hr_home: Path
) -> None:
    path = user_home / ".config" / "opencode" / "opencode.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(OPENCODE_CONF)

    opencode.AGENT.launch(URL, [], persist=True, home=hr_home)

    config = json.loads(path.read_bytes())
    assert config["provider"]["anthropic"]["options"] == {
        "timeout": 600000,
        "baseURL": f"{URL}/v1",
    }
    assert config["provider"]["openai"]["options"] == {"baseURL": f"{URL}/v1"}
    assert config["provider"]["local"]["options"]["baseURL"] == "http://localhost:1234/v1"
    assert config["theme"] == "tokyonight"

    opencode.AGENT.unwrap(hr_home)

    assert path.read_bytes() == OPENCODE_CONF


def test_opencode_persist_into_no_file_and_unwrap_removes_the_folders_it_made(
    user_home: Path, hr_home: Path
) -> None:
    opencode.AGENT.launch(URL, [], persist=True, home=hr_home)
    assert (user_home / ".config" / "opencode" / "opencode.json").is_file()

    opencode.AGENT.unwrap(hr_home)

    assert tree(user_home) == []


def test_opencode_refuses_to_persist_into_jsonc(user_home: Path, hr_home: Path) -> None:
    path = user_home / ".config" / "opencode" / "opencode.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{\n  // my theme\n  "theme": "x"\n}\n')

    with pytest.raises(CannotPersist):
        opencode.AGENT.launch(URL, [], persist=True, home=hr_home)


def test_opencode_without_a_proxy_after_persist_goes_back_to_the_earlier_urls(
    user_home: Path, hr_home: Path
) -> None:
    path = user_home / ".config" / "opencode" / "opencode.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(OPENCODE_CONF)
    opencode.AGENT.launch(URL, [], persist=True, home=hr_home)

    launch = opencode.AGENT.launch(None, [], persist=False, home=hr_home)

    inline = json.loads(launch.env["OPENCODE_CONFIG_CONTENT"])
    assert inline["provider"]["anthropic"]["options"]["baseURL"] == opencode.DIRECT["anthropic"]
    assert inline["provider"]["openai"]["options"]["baseURL"] == opencode.DIRECT["openai"]


def test_opencode_without_a_proxy_and_nothing_persisted_runs_plain(
    user_home: Path, hr_home: Path
) -> None:
    launch = opencode.AGENT.launch(None, [], persist=False, home=hr_home)

    assert launch.env == {}
