from __future__ import annotations

from dataclasses import dataclass

from headroom.ccr import CCR, ccr_id, marker
from headroom.compressors.lossless import LosslessCompressor
from headroom.compressors.registry import Registry
from headroom.config import load_settings
from headroom.learning import (
    MAX_FACTOR,
    Learned,
    Learner,
    block_id,
    learned_from,
    signature,
)
from headroom.pipeline import Engine, Outcome, Router
from headroom.store.memory import MemoryStore
from headroom.tokens import get_counter
from headroom.types import CompressContext, Compressed, Origin


@dataclass
class KeepLines:
    """Keeps 10 × keep_factor lines behind a marker; records the factors it saw."""

    name: str = "keeplines"
    kinds: tuple[str, ...] = ("*",)
    seen: list[float] | None = None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        if self.seen is not None:
            self.seen.append(ctx.keep_factor)
        lines = text.splitlines()
        keep = int(10 * ctx.keep_factor)
        key = ccr_id(text)
        note = marker(ccr_id=key, omitted=len(lines) - keep, unit="lines")
        return Compressed("\n".join([*lines[:keep], note]), "logs", self.name, key)

    def signature(self, text: str) -> str:
        return "shape1"


def _setup(store: MemoryStore, spy: KeepLines) -> tuple[Engine, CCR]:
    settings = load_settings()
    registry = Registry()
    registry.register(spy)
    registry.register(LosslessCompressor())
    learner = Learner(store)
    return Engine(settings, Router(registry), get_counter(), learner), CCR(store, learner=learner)


def _stored(ccr: CCR, outcome: Outcome) -> str:
    """What the pipeline's CCR step does: store the original with its signature."""
    assert outcome.ccr_id is not None
    return ccr.put(outcome.original, kind=outcome.kind, signature=outcome.signature)


def _log(n: int) -> str:
    return "\n".join(
        f"2026-11-20 10:00:00 INFO request {n}-{i} served in {i} ms" for i in range(300)
    )


def test_no_evidence_means_the_default_budget() -> None:
    assert learned_from(10, 1, 1) == Learned()
    assert learned_from(0, 5, 5) == Learned()


def test_budget_grows_with_the_retrieval_rate_and_is_capped() -> None:
    low = learned_from(20, 2, 0)
    high = learned_from(4, 3, 0)
    assert 1.0 < low.keep_factor < high.keep_factor <= MAX_FACTOR
    assert learned_from(2, 10, 0).keep_factor == MAX_FACTOR
    assert not high.lossless_only


def test_retrieved_in_full_again_and_again_becomes_lossless_only() -> None:
    assert learned_from(4, 3, 3).lossless_only
    assert not learned_from(40, 3, 3).lossless_only  # rare, relative to what was compressed


def test_retrievals_raise_the_budget_of_new_blocks_with_the_same_signature() -> None:
    store = MemoryStore()
    spy = KeepLines(seen=[])
    engine, ccr = _setup(store, spy)
    ctx = CompressContext(query="x", origin=Origin(tool_name="Bash"))
    first = [engine.compress(_log(n), ctx) for n in range(3)]
    assert spy.seen == [1.0, 1.0, 1.0]
    for outcome in first[:2]:
        ccr.retrieve(_stored(ccr, outcome), query="request")
    engine.compress(_log(99), ctx)
    assert spy.seen[-1] > 1.0
    sig = signature("Bash", "logs", "shape1")
    (row,) = Learner(store).table()
    assert (row.signature, row.compressed, row.retrieved, row.retrieved_full) == (sig, 4, 2, 0)


def test_history_already_sent_keeps_its_first_budget() -> None:
    store = MemoryStore()
    spy = KeepLines(seen=[])
    engine, ccr = _setup(store, spy)
    ctx = CompressContext(origin=Origin(tool_name="Bash"))
    old = _log(0)
    first = engine.compress(old, ctx)
    for n in range(1, 4):
        ccr.retrieve(_stored(ccr, engine.compress(_log(n), ctx)))
    again = engine.compress(old, ctx)
    assert again.text == first.text
    assert engine.compress(_log(50), ctx).text != first.text


def test_a_lossless_only_signature_gets_no_lossy_cut() -> None:
    store = MemoryStore()
    engine, ccr = _setup(store, KeepLines())
    ctx = CompressContext(origin=Origin(tool_name="Bash"))
    for n in range(3):
        ccr.retrieve(_stored(ccr, engine.compress(_log(n) + "\n\n\n\n   ", ctx)))
    later = engine.compress(_log(77) + "\n\n\n\n   ", ctx)
    assert later.ccr_id is None
    assert later.compressor in {None, "lossless"}


def test_the_learned_state_is_shared_through_the_store() -> None:
    store = MemoryStore()
    learner_a, learner_b = Learner(store), Learner(store)
    sig = signature("Read", "json", "abc")
    for _ in range(4):
        learner_a.compressed(sig)
    for _ in range(3):
        learner_a.retrieved(sig, full=True)
    assert learner_b.learned(sig).lossless_only


def test_block_ids_depend_on_content_and_tool() -> None:
    assert block_id("a", "Bash") == block_id("a", "Bash")
    assert block_id("a", "Bash") != block_id("a", "Read")
    assert block_id("a", None) != block_id("b", None)


def test_a_blocks_shape_is_hashed_once_and_remembered_with_its_budget() -> None:
    calls: list[str] = []

    @dataclass
    class Counting(KeepLines):
        def signature(self, text: str) -> str:
            calls.append(text[:10])
            return "shape1"

    store = MemoryStore()
    engine, _ = _setup(store, Counting())
    ctx = CompressContext(origin=Origin(tool_name="Bash"))
    first = engine.compress(_log(1), ctx)
    again = engine.compress(_log(1), ctx)  # the same block on a later turn
    assert len(calls) == 1
    assert first.signature == again.signature == signature("Bash", "logs", "shape1")
