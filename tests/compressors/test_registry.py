from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from headroom.compressors.registry import Registry, RegistryError, build_registry
from headroom.guard import ERRORS
from headroom.types import CompressContext, Compressed


@dataclass
class Named:
    name: str
    kinds: tuple[str, ...] = ("*",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        return None


def _install_plugin(root: Path, module: str, body: str) -> None:
    """A real installed distribution with a `headroom.compressors` entry point."""
    (root / f"{module}.py").write_text(textwrap.dedent(body))
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[headroom.compressors]\n{module} = {module}:register_compressors\n"
    )


def test_builtins_come_in_through_the_registry() -> None:
    assert "lossless" in build_registry().names()


def test_duplicate_names_are_refused() -> None:
    registry = Registry()
    registry.register(Named("a"))
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(Named("a"))


def test_objects_without_the_protocol_are_refused() -> None:
    with pytest.raises(RegistryError, match="does not implement"):
        Registry().register(object())  # type: ignore[arg-type]


def test_entry_point_plugins_register_through_the_same_door(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_plugin(
        tmp_path,
        "hr_plugin_upper",
        """
        from headroom.types import Compressed

        class Upper:
            name = "upper"
            kinds = ("text",)

            def compress(self, text, ctx):
                return Compressed(text.upper(), "text", "upper")

        def register_compressors(register):
            register(Upper())
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = build_registry(raise_errors=True)
    assert "upper" in registry.names()
    names = [c.name for c in registry.for_kind("text")]
    assert "upper" in names
    assert names[-1] == "lossless"  # any-kind compressors come after the specific ones


def test_a_broken_plugin_is_skipped_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_plugin(tmp_path, "hr_plugin_broken", "def register_compressors(register):\n    1/0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = ERRORS.get("plugin:hr_plugin_broken")
    registry = build_registry(raise_errors=False)
    assert "lossless" in registry.names()
    assert ERRORS.get("plugin:hr_plugin_broken") == before + 1
    with pytest.raises(ZeroDivisionError):
        build_registry(raise_errors=True)
