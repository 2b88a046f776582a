from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from headroom.config import SETTINGS, ConfigError, Settings, load_settings


def test_every_setting_has_an_entry_and_a_field() -> None:
    assert {s.name for s in SETTINGS} == {f.name for f in fields(Settings)}
    for s in SETTINGS:
        assert s.env.startswith("HEADROOM_")
        assert s.doc


def test_default_applies_when_nothing_else_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADROOM_MIN_TOKENS", raising=False)
    assert load_settings().min_tokens == 300


def test_precedence_is_argument_then_env_then_file_then_default(
    monkeypatch: pytest.MonkeyPatch, _isolated_home: Path
) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text("min_tokens = 111\nmin_saving = 0.2\n")
    assert load_settings().min_tokens == 111
    assert load_settings().min_saving == 0.2
    monkeypatch.setenv("HEADROOM_MIN_TOKENS", "222")
    assert load_settings().min_tokens == 222
    assert load_settings(min_tokens=333).min_tokens == 333
    assert load_settings(min_tokens=333).min_saving == 0.2


def test_config_file_may_use_a_headroom_table(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text('[headroom]\nstore = "memory"\n')
    assert load_settings().store == "memory"


def test_types_are_parsed_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_RAISE_ERRORS", "false")
    monkeypatch.setenv("HEADROOM_DISABLE", "lossless, json")
    settings = load_settings()
    assert settings.raise_errors is False
    assert settings.disabled_compressors == ("lossless", "json")


def test_bad_values_name_the_setting_and_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_MIN_TOKENS", "many")
    with pytest.raises(ConfigError, match=r"min_tokens from \$HEADROOM_MIN_TOKENS"):
        load_settings()


def test_unknown_keyword_is_rejected_with_the_known_names() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting.*min_tokenz"):
        load_settings(min_tokenz=3)


def test_invalid_toml_is_a_clear_error(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text("min_tokens = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_only_config_reads_the_environment() -> None:
    package = Path(__file__).resolve().parent.parent / "headroom"
    readers = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if "os.environ" in p.read_text() or "getenv" in p.read_text()
    ]
    assert readers == ["config.py"]
