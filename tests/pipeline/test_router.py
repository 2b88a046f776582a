from __future__ import annotations

from dataclasses import dataclass

from headroom.compressors.registry import Registry
from headroom.pipeline import Router
from headroom.types import CompressContext, Compressed, Origin


@dataclass
class Named:
    name: str
    kinds: tuple[str, ...]

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        return None


def _router() -> Router:
    registry = Registry()
    registry.register(Named("anything", ("*",)))
    registry.register(Named("json", ("json",)))
    registry.register(Named("code", ("code",)))
    return Router(registry)


def test_kind_comes_from_the_tool_call_before_the_content() -> None:
    ctx = CompressContext(origin=Origin(tool_name="Read", tool_input={"file_path": "a/b.py"}))
    route = _router().route('{"looks": "like json"}', ctx)
    assert (route.kind, route.source) == ("code", "tool")
    assert [c.name for c in route.compressors] == ["code", "anything"]


def test_kind_comes_from_content_when_the_tool_says_nothing() -> None:
    route = _router().route('[{"a": 1}, {"a": 2}]', CompressContext())
    assert (route.kind, route.source) == ("json", "content")
    assert [c.name for c in route.compressors] == ["json", "anything"]


def test_an_explicit_kind_wins() -> None:
    route = _router().route("plain words", CompressContext(kind="json"))
    assert (route.kind, route.source) == ("json", "hint")


def test_disabled_compressors_are_not_offered() -> None:
    registry = Registry(disabled=["json"])
    registry.register(Named("json", ("json",)))
    registry.register(Named("anything", ("*",)))
    route = Router(registry).route("[1, 2, 3]", CompressContext())
    assert [c.name for c in route.compressors] == ["anything"]
