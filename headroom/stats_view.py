"""`headroom stats`: the ledger's savings over a window, store counters, the learned state.

The command reads everything through the configured store, the same one the
proxy records into, so it works whether or not a proxy is running:

- the requests recorded within `--since` (default a week), grouped `--by`
  compressor, tool, model or session, with a totals row, the cache hit rate
  and the holdout measurement when there are holdout sessions
  (`headroom.stats_report` does the sums);
- the CCR store counters (originals stored, retrievals);
- what was learned from retrievals, per content signature.

`--format json` prints the same as one JSON document. `register(app)` adds
the command to the CLI.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from headroom.runtime import Runtime
from headroom.stats_report import GROUPS, Report, Row, build_report, parse_since


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
    """The store counters and the learned table."""
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


def ledger_report(runtime: Runtime, *, since: str, by: str, now: float | None = None) -> Report:
    """The ledger's report over the last `since` (`30m`, `12h`, `7d`), grouped `by`."""
    from headroom.proxy.ledger import Ledger

    ledger = Ledger(runtime.store)
    entries = ledger.recent(last=ledger.slots)
    now = time.time() if now is None else now
    return build_report(entries, since_s=parse_since(since), by=by, now=now, ring=ledger.slots)


def print_report(report: Report, console: Console, *, since: str) -> None:
    """The grouped table with its totals row, then the cache and holdout lines."""
    if not report.totals.requests:
        console.print(
            f"no requests recorded in the last {since}: the proxy records every model request "
            "(`headroom proxy`, then point your agent at it)",
            highlight=False,
        )
        return
    table = Table(title=f"requests in the last {since}, by {report.by} (dollars estimated)")
    table.add_column(report.by, overflow="fold")
    for name in ("requests", "tokens before", "after", "saved", "saved %"):
        table.add_column(name, justify="right")
    for name in ("$ spent", "$ without", "$ saved"):
        table.add_column(name, justify="right")
    for row in report.rows:
        table.add_row(*_cells(row))
    table.add_section()
    table.add_row(*_cells(report.totals), style="bold")
    console.print(table)
    for line in _report_notes(report):
        console.print(line, highlight=False, soft_wrap=True)


def _cells(row: Row) -> list[str]:
    return [
        row.key,
        f"{row.requests:,}",
        f"{row.tokens_before:,}",
        f"{row.tokens_after:,}",
        f"{row.tokens_saved:,}",
        f"{row.saved_pct:.1f}%",
        _money(row.dollars),
        _money(row.dollars_without),
        _money(row.dollars_saved),
    ]


def _money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.4f}"


def _report_notes(report: Report) -> list[str]:
    usage = report.usage
    lines = [
        f"cache: {usage.cache_read_tokens:,} tokens read, {usage.cache_write_tokens:,} written, "
        f"hit rate {report.hit_rate:.1%} of {usage.prompt_tokens:,} prompt tokens"
    ]
    measured = report.measured
    if measured.saved_pct is not None:
        lines.append(
            f"measured saving against holdout sessions: {measured.saved_pct:.1f}% "
            f"(95% CI {measured.low_pct:.1f}% to {measured.high_pct:.1f}%; "
            f"{measured.compressed_samples:,} compressed vs {measured.holdout_samples:,} "
            "holdout requests)"
        )
    elif report.holdout_present:
        lines.append(
            f"holdout: {measured.holdout_samples:,} holdout and {measured.compressed_samples:,} "
            "compressed requests so far; a measurement needs at least 5 of each"
        )
    if report.truncated:
        lines.append(
            "the ledger keeps only its most recent requests; older ones in this window are "
            "not counted"
        )
    return lines


def stats_payload(runtime: Runtime, report: Report) -> dict[str, Any]:
    """Everything `headroom stats` shows, as one JSON-ready document."""
    return {
        "counters": runtime.store.counters("ccr."),
        "learned": learned_rows(runtime),
        "ledger": report.as_dict(),
    }


def stats_command(
    since: Annotated[
        str, typer.Option("--since", help="Window of recent requests: 30m, 12h, 7d.")
    ] = "7d",
    by: Annotated[
        str, typer.Option("--by", help="Group by compressor, tool, model or session.")
    ] = "compressor",
    output: Annotated[str, typer.Option("--format", help="table (rich tables) or json.")] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Show what Headroom saved (tokens and dollars), store counters and what it learned."""
    from headroom.runtime import get_runtime

    if by not in GROUPS or output not in {"table", "json"}:
        sys.stderr.write(
            f"headroom: --by takes {', '.join(GROUPS)}; --format takes table or json\n"
        )
        raise typer.Exit(2)
    try:
        parse_since(since)
    except ValueError as exc:
        sys.stderr.write(f"headroom: --since: {exc}\n")
        raise typer.Exit(2) from exc
    runtime = get_runtime()
    report = ledger_report(runtime, since=since, by=by)
    if as_json or output == "json":
        typer.echo(orjson.dumps(stats_payload(runtime, report)).decode())
        return
    console = Console(width=max(Console().width, 120))
    print_report(report, console, since=since)
    print_stats(runtime, console)


def register(app: typer.Typer) -> None:
    """Add `headroom stats` to the CLI."""
    app.command("stats")(stats_command)
