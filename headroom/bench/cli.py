"""The `headroom bench` command: progress on stderr, results on stdout."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from headroom.bench.corpus import CorpusError, load_corpus
from headroom.bench.runner import SampleResult, Summary, run, summarize


class Format(enum.StrEnum):
    table = "table"
    jsonl = "jsonl"


def bench_command(
    corpus: Annotated[
        Path, typer.Option("--corpus", help="Corpus folder with manifest.jsonl.")
    ] = Path("../shared/corpus"),
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only samples of this type (e.g. logs).")
    ] = None,
) -> None:
    """Compress each corpus sample once per needle question and report savings and needles."""
    from headroom.runtime import get_runtime

    err = Console(stderr=True)
    try:
        samples = load_corpus(corpus, kind=kind)
    except CorpusError as exc:
        err.print(f"headroom bench: {exc}", markup=False)
        raise typer.Exit(2) from exc
    runtime = get_runtime(store="memory")
    if not runtime.counter.exact:
        err.print("headroom bench: tokenizer files missing; token counts are estimates")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("compressing", total=len(samples))

        def done(result: SampleResult) -> None:
            progress.update(task, advance=1, description=result.id)

        results = run(runtime, samples, on_done=done)
    summaries = summarize(results)
    if fmt is Format.jsonl:
        rows = [r.as_dict() for r in results] + [s.as_dict() for s in summaries]
        for row in rows:
            typer.echo(orjson.dumps(row).decode())
    else:
        out = Console()
        Console(width=max(out.width, 110)).print(_table(summaries))


def _table(summaries: list[Summary]) -> Table:
    table = Table(title="headroom bench")
    for name in ("type", "samples", "tokens before", "tokens after", "saved %", "needles"):
        table.add_column(name, justify="left" if name == "type" else "right")
    table.add_column("p50 ms", justify="right")
    table.add_column("max ms", justify="right")
    for s in summaries:
        style = "bold" if s.summary == "total" else None
        table.add_row(
            s.type,
            str(s.samples),
            f"{s.tokens_before:,}",
            f"{s.tokens_after:,.0f}",
            f"{s.saved_pct:.1f}",
            f"{s.needles_kept}/{s.needles_total}",
            f"{s.p50_ms:.1f}",
            f"{s.max_ms:.1f}",
            style=style,
        )
    return table
