"""What `headroom stats` shows: store counters and the learned state."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from headroom.runtime import Runtime


def learned_rows(runtime: Runtime) -> list[dict[str, object]]:
    """One row per content signature: counts, retrieval rate and the earned budget."""
    if runtime.learner is None:
        return []
    return [
        {
            "signature": row.signature,
            "compressed": row.compressed,
            "retrieved": row.retrieved,
            "retrieved_full": row.retrieved_full,
            "retrieval_rate": round(row.retrieval_rate, 3),
            "keep_factor": row.learned.keep_factor,
            "mode": "lossless-only" if row.learned.lossless_only else "compress",
        }
        for row in runtime.learner.table()
    ]


def print_stats(runtime: Runtime, console: Console) -> None:
    counters = runtime.store.counters("ccr.")
    console.print(
        f"originals stored: {counters.get('ccr.stored', 0):,}   "
        f"retrievals: {counters.get('ccr.retrieve', 0):,}   "
        f"unknown/expired: {counters.get('ccr.retrieve.miss', 0):,}   "
        f"store: {runtime.settings.store}",
        highlight=False,
    )
    rows = learned_rows(runtime)
    if runtime.learner is None:
        console.print("learning is off (HEADROOM_LEARNING=0)")
        return
    if not rows:
        console.print("nothing learned yet: no compressed content has been retrieved")
        return
    table = Table(title="learned from retrievals (tool|kind|shape)")
    for name in ("signature", "compressed", "retrieved", "in full", "rate", "keep ×", "mode"):
        left = name in {"signature", "mode"}
        table.add_column(name, justify="left" if left else "right", overflow="fold")
    for r in rows:
        table.add_row(
            str(r["signature"]),
            f"{r['compressed']:,}",
            f"{r['retrieved']:,}",
            f"{r['retrieved_full']:,}",
            f"{r['retrieval_rate']:.0%}",
            f"{r['keep_factor']:.2f}",
            str(r["mode"]),
        )
    console.print(table)
