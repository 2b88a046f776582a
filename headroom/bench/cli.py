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
from headroom.bench.replay import (
    ARMS,
    Comparison,
    ReplayOptions,
    Report,
    compare,
    run_replay,
    total_steps,
)
from headroom.bench.runner import SampleResult, Summary, run, summarize
from headroom.bench.traces import DEFAULT_MODEL, Session, load_traces


class Format(enum.StrEnum):
    table = "table"
    jsonl = "jsonl"


class ClientCache(enum.StrEnum):
    last2 = "last2"
    none = "none"


#: The published Headroom's venv, beside the checkout (benchmarks/README.md).
DEFAULT_ANCHOR_PYTHON = Path("../anchor-venv/bin/python")


def bench_command(
    corpus: Annotated[
        Path, typer.Option("--corpus", help="Corpus folder with manifest.jsonl.")
    ] = Path("../shared/corpus"),
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only samples of this type (e.g. logs).")
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            "--replay",
            help="Instead: replay the agent sessions in DIR turn by turn and bill them "
            "with a simulated prompt cache (e.g. ../shared/corpus/agent_traces).",
        ),
    ] = None,
    arms: Annotated[str, typer.Option("--arms", help="Replay arms, comma-separated.")] = ",".join(
        ARMS
    ),
    client_cache: Annotated[
        ClientCache,
        typer.Option("--client-cache", help="The client's own breakpoints in every replay arm."),
    ] = ClientCache.none,
    gap: Annotated[
        float, typer.Option("--gap", min=0, help="Seconds between turns without timestamps.")
    ] = 30.0,
    anchor_python: Annotated[
        Path,
        typer.Option("--anchor-python", help="Python of the published Headroom's venv."),
    ] = DEFAULT_ANCHOR_PYTHON,
    model: Annotated[
        str, typer.Option("--model", help="Model the replayed sessions are billed as.")
    ] = DEFAULT_MODEL,
) -> None:
    """Compress each corpus sample once per needle question and report savings and needles.

    With --replay DIR: replay recorded agent sessions and report input dollars,
    cache reads and writes, hit ratios and needles per arm.
    """
    from headroom.runtime import get_runtime

    err = Console(stderr=True)
    if replay is not None:
        arm_names = tuple(a.strip() for a in arms.split(",") if a.strip())
        options = ReplayOptions(arm_names, client_cache.value, gap, anchor_python)
        replay_command(replay, options, fmt, model=model)
        return
    try:
        samples = load_corpus(corpus, kind=kind)
    except CorpusError as exc:
        err.print(f"headroom bench: {exc}", markup=False)
        raise typer.Exit(2) from exc
    runtime = get_runtime(store="memory")
    if not runtime.counter.exact:
        err.print("headroom bench: tokenizer files missing; token counts are estimates")
    with Progress(*_PROGRESS_COLUMNS, console=err, transient=True) as progress:
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


def replay_command(folder: Path, options: ReplayOptions, fmt: Format, *, model: str) -> None:
    """Load the sessions in `folder`, replay them with progress on stderr, print the report."""
    err = Console(stderr=True)
    try:
        sessions = load_traces(folder, model=model)
    except CorpusError as exc:
        err.print(f"headroom bench: {exc}", markup=False)
        raise typer.Exit(2) from exc
    try:
        report = replay_with_progress(sessions, options, err)
    except ValueError as exc:
        err.print(f"headroom bench: {exc}", markup=False)
        raise typer.Exit(2) from exc
    print_replay(report, fmt)


_PROGRESS_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


def replay_with_progress(sessions: list[Session], options: ReplayOptions, err: Console) -> Report:
    with Progress(*_PROGRESS_COLUMNS, console=err, transient=True) as progress:
        task = progress.add_task("replaying", total=total_steps(sessions, options.arms))

        def step(description: str) -> None:
            progress.update(task, advance=1, description=description)

        return run_replay(sessions, options, on_step=step)


def print_replay(report: Report, fmt: Format) -> None:
    """jsonl: one line per session and arm, then a TOTAL per arm; table: totals and targets."""
    if fmt is Format.jsonl:
        for row in report.rows():
            typer.echo(orjson.dumps(row).decode())
        return
    out = Console()
    wide = Console(width=max(out.width, 130))
    wide.print(_replay_table(report))
    for line in _target_lines(compare(report), report):
        wide.print(line, markup=False)


def _replay_table(report: Report) -> Table:
    table = Table(title=f"headroom bench --replay (client cache: {report.client_cache})")
    names = ("arm", "turns", "input tokens", "cache read", "cache write", "uncached")
    for name in (*names, "input $", "hit ratio", "needles", "prefix stable", "errors"):
        table.add_column(name, justify="left" if name == "arm" else "right")
    for t in report.totals():
        b = t.bill
        table.add_row(
            t.arm,
            str(t.turns),
            f"{b.input_tokens:,}",
            f"{b.cache_read_tokens:,}",
            f"{b.cache_write_tokens:,}",
            f"{b.uncached_tokens:,}",
            f"{b.input_dollars:.4f}",
            f"{b.hit_ratio:.3f}",
            f"{t.needles_kept}/{t.needles_total}",
            "yes" if t.prefix_stable else "no",
            str(t.errors + b.invalid),
        )
    for arm, reason in report.unavailable:
        table.add_row(arm, "unavailable: " + reason, *[""] * 9)
    return table


def _target_lines(c: Comparison, report: Report) -> list[str]:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f}%"

    ratio = "n/a" if c.headroom_over_anchor is None else f"{c.headroom_over_anchor:.2f}x"
    headroom_ran = report.total_for("headroom") is not None
    below = ", ".join(c.hit_ratio_below) if c.hit_ratio_below else "none"
    return [
        f"(b) headroom vs (a) none: {pct(c.headroom_saving_pct)} fewer input dollars "
        "(target >= 30%)",
        f"(d) anchor vs (a) none: {pct(c.anchor_saving_pct)} fewer input dollars",
        f"(b) saving / (d) saving: {ratio} (target >= 3x; n/a when the anchor saves nothing)",
        "sessions where (b)'s hit ratio is below (a)'s: "
        + (below if headroom_ran else "n/a (headroom did not run)"),
    ]
