"""All of Headroom's settings, in one declarative table.

Every setting has one entry: name, `HEADROOM_*` environment variable, type,
default and a one-line doc. Values come from, in order of precedence:

1. a keyword argument (`load_settings(min_tokens=500)`, `compress(..., min_tokens=500)`);
2. the environment (`HEADROOM_MIN_TOKENS=500`);
3. the config file, `~/.headroom/config.toml` (or `$HEADROOM_HOME/config.toml`);
4. the default in the table.

This is the only module that reads the environment.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    env: str
    type: type
    default: Any
    doc: str


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {text!r}")


def _parse_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _parse_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """`a=x, b=y` → (("a", "x"), ("b", "y")): an ordered table in one env var."""
    pairs = []
    for item in _parse_list(text):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"expected name=value pairs separated by commas, got {item!r}")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


#: An ordered table of name → value, e.g. the per-tool policy.
Pairs = tuple[tuple[str, str], ...]


_PARSERS: dict[type, Callable[[str], Any]] = {
    bool: _parse_bool,
    int: int,
    float: float,
    str: str,
    tuple: _parse_list,
    dict: _parse_pairs,
}

#: Per-tool policy, first matching glob wins: compress, lossless-only or never.
#: Safe for Claude Code's, Codex's and MCP tool names: edits, writes and plans are
#: confirmations the agent relies on verbatim; Headroom's own retrievals must
#: never be compressed again; everything else is tool output.
DEFAULT_TOOL_POLICY: Pairs = (
    ("headroom_retrieve", "never"),
    ("mcp__headroom__*", "never"),
    ("Edit", "never"),
    ("MultiEdit", "never"),
    ("Write", "never"),
    ("NotebookEdit", "never"),
    ("apply_patch", "never"),
    ("TodoWrite", "never"),
    ("update_plan", "never"),
    ("ExitPlanMode", "never"),
    ("Task", "lossless-only"),
    ("Agent", "lossless-only"),
    ("*", "compress"),
)
TOOL_POLICIES = frozenset({"compress", "lossless-only", "never"})

#: Minimum cacheable prefix per model (Anthropic caches nothing shorter, silently),
#: first matching glob wins. From the provider's published list, early 2026.
DEFAULT_CACHE_MIN_TOKENS: Pairs = (
    ("claude-opus-4-5*", "4096"),
    ("claude-opus-4-6*", "4096"),
    ("claude-haiku-4-5*", "4096"),
    ("claude-opus-4-7*", "2048"),
    ("claude-3-5-haiku*", "2048"),
    ("claude-3-haiku*", "2048"),
    ("claude-opus-5*", "512"),
    ("*", "1024"),
)
CACHE_TTLS = frozenset({"5m", "1h", "auto"})

SETTINGS: tuple[Setting, ...] = (
    Setting("home", "HEADROOM_HOME", str, "~/.headroom", "Folder for the store, config and logs."),
    Setting(
        "store",
        "HEADROOM_STORE",
        str,
        "sqlite",
        "Where originals live: sqlite, memory, sqlite:///path.db or redis://host:port/db.",
    ),
    Setting(
        "ccr_ttl_seconds",
        "HEADROOM_CCR_TTL",
        int,
        24 * 3600,
        "How long compressed-away originals stay retrievable, in seconds.",
    ),
    Setting(
        "store_max_bytes",
        "HEADROOM_STORE_MAX_BYTES",
        int,
        512 * 1024 * 1024,
        "Size cap of the store; the oldest originals are evicted first.",
    ),
    Setting(
        "min_tokens",
        "HEADROOM_MIN_TOKENS",
        int,
        300,
        "Blocks smaller than this many tokens are left alone.",
    ),
    Setting(
        "min_saving",
        "HEADROOM_MIN_SAVING",
        float,
        0.05,
        "A result must save at least this fraction of a block's tokens to be used.",
    ),
    Setting(
        "disabled_compressors",
        "HEADROOM_DISABLE",
        tuple,
        (),
        "Comma-separated compressor names to switch off.",
    ),
    Setting(
        "tool_policy",
        "HEADROOM_TOOL_POLICY",
        dict,
        DEFAULT_TOOL_POLICY,
        "Per-tool policy by tool-name glob, first match wins: compress, lossless-only, never.",
    ),
    Setting(
        "learning",
        "HEADROOM_LEARNING",
        bool,
        True,
        "Keep more of content whose originals models retrieve often (learned from retrievals).",
    ),
    Setting(
        "tokenizer_dir",
        "HEADROOM_TOKENIZER_DIR",
        str,
        "",
        "Folder with tiktoken's BPE files (falls back to TIKTOKEN_CACHE_DIR).",
    ),
    Setting(
        "raise_errors",
        "HEADROOM_RAISE_ERRORS",
        bool,
        False,
        "Re-raise internal errors instead of failing open (set by the test suite).",
    ),
    Setting(
        "default_model",
        "HEADROOM_MODEL",
        str,
        "claude-sonnet-4-6",
        "Model assumed by compress() when none is given.",
    ),
    Setting(
        "text_model",
        "HEADROOM_TEXT_MODEL",
        str,
        "",
        "Folder with an ONNX keep/drop model (model.onnx + tokenizer.json) for prose; '' = off.",
    ),
    Setting("proxy_host", "HEADROOM_HOST", str, "127.0.0.1", "Address the proxy listens on."),
    Setting("proxy_port", "HEADROOM_PORT", int, 8787, "Port the proxy listens on."),
    Setting(
        "upstream_anthropic",
        "HEADROOM_UPSTREAM_ANTHROPIC",
        str,
        "https://api.anthropic.com",
        "Base URL the proxy forwards Anthropic requests to.",
    ),
    Setting(
        "upstream_openai",
        "HEADROOM_UPSTREAM_OPENAI",
        str,
        "https://api.openai.com",
        "Base URL the proxy forwards OpenAI requests to.",
    ),
    Setting(
        "upstream_gemini",
        "HEADROOM_UPSTREAM_GEMINI",
        str,
        "https://generativelanguage.googleapis.com",
        "Base URL the proxy forwards Gemini requests to.",
    ),
    Setting(
        "pipeline_budget_ms",
        "HEADROOM_PIPELINE_BUDGET_MS",
        int,
        50,
        "Time the proxy gives compression per request; past it the original goes upstream.",
    ),
    Setting(
        "max_body_bytes",
        "HEADROOM_MAX_BODY_BYTES",
        int,
        32 * 1024 * 1024,
        "Larger request bodies are forwarded uncompressed.",
    ),
    Setting(
        "cache_align",
        "HEADROOM_CACHE_ALIGN",
        bool,
        True,
        "Move volatile bits (dates, ids, env and git-status blocks) out of the cacheable prefix.",
    ),
    Setting(
        "cache_breakpoints",
        "HEADROOM_CACHE_BREAKPOINTS",
        bool,
        True,
        "Place Anthropic cache breakpoints (up to 4) and an OpenAI prompt_cache_key per session.",
    ),
    Setting(
        "cache_ttl",
        "HEADROOM_CACHE_TTL",
        str,
        "5m",
        "TTL of the breakpoints Headroom places: 5m, 1h, or auto (`headroom advise ttl`).",
    ),
    Setting(
        "cache_min_tokens",
        "HEADROOM_CACHE_MIN_TOKENS",
        dict,
        DEFAULT_CACHE_MIN_TOKENS,
        "Minimum cacheable prefix per model glob, first match wins (no breakpoint below it).",
    ),
    Setting(
        "cache_planner",
        "HEADROOM_CACHE_PLANNER",
        bool,
        True,
        "Change an already-sent block only when the cache is cold or it pays in dollars.",
    ),
    Setting(
        "holdout",
        "HEADROOM_HOLDOUT",
        float,
        0.0,
        "Share of sessions left uncompressed, so savings are measured against them (0.1 = 10%).",
    ),
    Setting(
        "meter_only",
        "HEADROOM_METER_ONLY",
        bool,
        False,
        "Compute everything, change nothing, and record what would have been saved.",
    ),
    Setting(
        "retrieve_rounds",
        "HEADROOM_RETRIEVE_ROUNDS",
        int,
        3,
        "How many headroom_retrieve calls the proxy answers itself per request.",
    ),
    Setting(
        "wrap_wait_s",
        "HEADROOM_WRAP_WAIT",
        float,
        5.0,
        "Seconds `headroom wrap` waits for the proxy to be healthy before going without it.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings. Build with `load_settings()`."""

    home: str
    store: str
    ccr_ttl_seconds: int
    store_max_bytes: int
    min_tokens: int
    min_saving: float
    disabled_compressors: tuple[str, ...]
    tool_policy: Pairs
    learning: bool
    tokenizer_dir: str
    raise_errors: bool
    default_model: str
    text_model: str
    proxy_host: str
    proxy_port: int
    upstream_anthropic: str
    upstream_openai: str
    upstream_gemini: str
    pipeline_budget_ms: int
    max_body_bytes: int
    retrieve_rounds: int
    cache_align: bool
    cache_breakpoints: bool
    cache_ttl: str
    cache_min_tokens: Pairs
    cache_planner: bool
    holdout: float
    meter_only: bool
    wrap_wait_s: float

    @property
    def home_path(self) -> Path:
        return Path(self.home).expanduser()


def setting_names() -> frozenset[str]:
    return frozenset(_BY_NAME)


def load_settings(**overrides: Any) -> Settings:
    """Resolve every setting: keyword argument > environment > config file > default."""
    unknown = set(overrides) - set(_BY_NAME)
    if unknown:
        raise ConfigError(
            f"unknown setting(s): {', '.join(sorted(unknown))}; known: {', '.join(_BY_NAME)}"
        )
    env = os.environ
    home = overrides.get("home") or env.get("HEADROOM_HOME") or _BY_NAME["home"].default
    file_values = _read_config_file(Path(str(home)).expanduser() / "config.toml")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        values[setting.name] = _resolve(setting, overrides, env, file_values)
        try:
            _check_choice(setting, values[setting.name])
        except ValueError as exc:
            raise ConfigError(f"{setting.name}: {exc}") from exc
    if not values["tokenizer_dir"]:
        values["tokenizer_dir"] = env.get("TIKTOKEN_CACHE_DIR", "")
    return Settings(**values)


def _resolve(
    setting: Setting,
    overrides: Mapping[str, Any],
    env: Mapping[str, str],
    file_values: Mapping[str, Any],
) -> Any:
    if setting.name in overrides and overrides[setting.name] is not None:
        return _coerce(setting, overrides[setting.name], "argument")
    if setting.env in env:
        return _coerce(setting, env[setting.env], f"${setting.env}")
    if setting.name in file_values:
        return _coerce(setting, file_values[setting.name], "config.toml")
    return setting.default


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    try:
        if isinstance(value, str):
            parsed = _PARSERS[setting.type](value)
            return _check_policy(setting, parsed) if setting.type is dict else parsed
        if setting.type is tuple and isinstance(value, list | tuple):
            return tuple(str(v) for v in value)
        if setting.type is dict and isinstance(value, dict):
            return _check_policy(setting, tuple((str(k), str(v)) for k, v in value.items()))
        if setting.type is dict and isinstance(value, tuple):
            return _check_policy(setting, value)
        if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, setting.type):
            return value
    except ValueError as exc:
        raise ConfigError(f"{setting.name} from {source}: {exc}") from exc
    raise ConfigError(
        f"{setting.name} from {source}: expected {setting.type.__name__}, got {value!r}"
    )


def _check_policy(setting: Setting, pairs: Pairs) -> Pairs:
    if setting.name == "tool_policy":
        bad = [v for _, v in pairs if v not in TOOL_POLICIES]
        if bad:
            raise ValueError(f"unknown policy {bad[0]!r}; use {', '.join(sorted(TOOL_POLICIES))}")
    if setting.name == "cache_min_tokens":
        bad = [v for _, v in pairs if not v.isdigit()]
        if bad:
            raise ValueError(f"minimum lengths are whole numbers of tokens, got {bad[0]!r}")
    return pairs


def _check_choice(setting: Setting, value: Any) -> Any:
    if setting.name == "cache_ttl" and value not in CACHE_TTLS:
        raise ValueError(f"unknown TTL {value!r}; use {', '.join(sorted(CACHE_TTLS))}")
    if setting.name == "holdout" and not 0.0 <= value <= 0.5:
        raise ValueError(f"a share between 0 and 0.5 is expected, got {value!r}")
    return value


def child_environment(*, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment for a child process, without the names in `drop`."""
    return {k: v for k, v in os.environ.items() if k not in drop}


def otel_environment() -> dict[str, str]:
    """The standard OpenTelemetry variables (`OTEL_*`) set now, for `headroom.telemetry`.

    They are OpenTelemetry's own settings, not Headroom's, so they keep their
    standard names instead of a `HEADROOM_*` entry in the table.
    """
    return {k: v for k, v in os.environ.items() if k.startswith("OTEL_")}


def min_cacheable_tokens(model: str | None, table: Pairs) -> int:
    """The minimum cacheable prefix for `model` from a `cache_min_tokens` table."""
    name = (model or "").lower()
    for pattern, value in table:
        if fnmatch.fnmatchcase(name, pattern.lower()):
            return int(value)
    return 1024


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    section = data.get("headroom", data)
    return {k: v for k, v in section.items() if k in _BY_NAME}


def settings_table() -> list[tuple[str, str, str, str, str]]:
    """The table, for `headroom config` and the docs: name, env, type, default, doc."""
    return [(s.name, s.env, s.type.__name__, repr(s.default), s.doc) for s in SETTINGS]
