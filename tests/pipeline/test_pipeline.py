from __future__ import annotations

from dataclasses import dataclass

import pytest

from headroom.ccr import CCR, ccr_id, marker
from headroom.compressors.lossless import LosslessCompressor
from headroom.compressors.registry import Registry
from headroom.config import load_settings
from headroom.guard import ERRORS
from headroom.pipeline import CompressToolResults, Decision, Engine, Pipeline, Reason, Router
from headroom.providers.anthropic import ADAPTER
from headroom.store.memory import MemoryStore
from headroom.tokens import get_counter
from headroom.types import CompressContext, Compressed

BIG = "\n".join(f"line {i}: the quick brown fox jumps over the lazy dog" for i in range(200))


@dataclass
class Raising:
    name: str = "raising"
    kinds: tuple[str, ...] = ("*",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        raise RuntimeError("compressor bug")


@dataclass
class KeepHead:
    """A lossy test compressor: keeps the first 5 lines behind one marker."""

    name: str = "keephead"
    kinds: tuple[str, ...] = ("*",)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        lines = text.splitlines()
        key = ccr_id(text)
        note = marker(ccr_id=key, omitted=len(lines) - 5, total=len(lines), unit="lines")
        return Compressed("\n".join([*lines[:5], note]), ctx.kind or "text", self.name, key)


def _pipeline(compressor: object, *, raise_errors: bool, store: MemoryStore) -> Pipeline:
    settings = load_settings(raise_errors=raise_errors)
    registry = Registry()
    registry.register(compressor)  # type: ignore[arg-type]
    engine = Engine(settings, Router(registry), get_counter())
    return Pipeline([CompressToolResults(engine)], CCR(store), raise_errors=raise_errors)


def _conversation(text: str = BIG):  # type: ignore[no-untyped-def]
    body = {
        "model": "claude-sonnet-4-6",
        "messages": [
            {"role": "user", "content": "what happened on line 7?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": text}],
            },
        ],
    }
    return ADAPTER.parse(body)


def test_a_compressor_that_raises_leaves_the_original_and_is_counted() -> None:
    before = ERRORS.get("compressor:raising")
    pipeline = _pipeline(Raising(), raise_errors=False, store=MemoryStore())
    conversation = _conversation()
    result = pipeline.run(conversation)
    assert ADAPTER.render(result.conversation) == dict(conversation.raw)
    assert ERRORS.get("compressor:raising") == before + 1
    assert [r.decision for r in result.records] == [Decision.KEPT]


def test_a_compressor_that_raises_reraises_under_tests() -> None:
    pipeline = _pipeline(Raising(), raise_errors=True, store=MemoryStore())
    with pytest.raises(RuntimeError, match="compressor bug"):
        pipeline.run(_conversation())


def test_a_lossy_cut_stores_the_original_under_the_marker_id() -> None:
    store = MemoryStore()
    result = _pipeline(KeepHead(), raise_errors=True, store=store).run(_conversation())
    (record,) = result.changed
    assert record.ccr_id == ccr_id(BIG)
    assert record.tool == "Bash"
    assert record.tokens_after < record.tokens_before
    assert CCR(store).retrieve(ccr_id(BIG)) == BIG
    rendered = ADAPTER.render(result.conversation)
    assert f"headroom_retrieve id={ccr_id(BIG)}" in rendered["messages"][2]["content"][0]["content"]


def test_when_the_store_fails_the_cut_is_undone() -> None:
    class BrokenStore(MemoryStore):
        def put(self, *args: object, **kwargs: object) -> None:
            raise OSError("disk full")

    before = ERRORS.get("ccr:put")
    pipeline = _pipeline(KeepHead(), raise_errors=False, store=BrokenStore())
    conversation = _conversation()
    result = pipeline.run(conversation)
    assert ADAPTER.render(result.conversation) == dict(conversation.raw)
    assert result.records[0].reason is Reason.ERROR
    assert ERRORS.get("ccr:put") == before + 1


def test_blocks_under_the_minimum_size_are_left_alone() -> None:
    result = _pipeline(KeepHead(), raise_errors=True, store=MemoryStore()).run(
        _conversation("short\n" * 10)
    )
    assert [r.reason for r in result.records] == [Reason.BELOW_MIN_SIZE]
    assert result.changed == ()


def test_results_that_save_too_little_are_left_alone() -> None:
    text = "\n".join(["x" * 40 + f" {i}" for i in range(300)]) + "\n\n\n\n"
    result = _pipeline(LosslessCompressor(), raise_errors=True, store=MemoryStore()).run(
        _conversation(text)
    )
    assert [r.reason for r in result.records] == [Reason.SAVING_TOO_SMALL]


def test_the_query_in_force_reaches_the_compressor() -> None:
    seen: list[str | None] = []

    @dataclass
    class Spy:
        name: str = "spy"
        kinds: tuple[str, ...] = ("*",)

        def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
            seen.append(ctx.query)
            return None

    _pipeline(Spy(), raise_errors=True, store=MemoryStore()).run(_conversation())
    assert seen == ["what happened on line 7?"]
