"""The `headroom` command line.

Every command calls the same core as the library. Output meant for pipes goes
to stdout; summaries, progress and errors go to stderr.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console

from headroom._version import __version__
from headroom.bench.cli import bench_command

if TYPE_CHECKING:
    from headroom.cache.ttl import TTLAdvice

app = typer.Typer(
    name="headroom",
    help="Compress what LLM agents send to models, reversibly.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"headroom {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Compress what LLM agents send to models, reversibly."""


@app.command()
def compress(
    file: Annotated[str, typer.Argument(help="File to compress, or - for stdin.")] = "-",
    query: Annotated[
        str | None, typer.Option("-q", "--query", help="The question the output must answer.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Content kind (json, logs, search, diff, code, html, text)."),
    ] = None,
) -> None:
    """Compress a tool output: compressed text to stdout, a summary to stderr."""
    from headroom.api import compress_text

    data = sys.stdin.buffer.read() if file == "-" else _read_file(Path(file))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        sys.stdout.buffer.write(data)
        err.print("headroom: input is not UTF-8 text; passed through unchanged")
        return
    result = compress_text(text, query=query, kind=kind)
    sys.stdout.write(result.text)
    if result.text and not result.text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()
    saved = 100.0 * result.tokens_saved / result.tokens_before if result.tokens_before else 0.0
    summary = (
        f"headroom: {result.kind}: {result.tokens_before:,} → {result.tokens_after:,} tokens "
        f"(saved {saved:.1f}%)"
    )
    if result.compressor:
        summary += f" by {result.compressor}"
    if result.ccr_id:
        summary += f"; original: headroom retrieve {result.ccr_id}"
    sys.stderr.write(summary + "\n")  # one line, never wrapped


@app.command()
def retrieve(
    ccr_id: Annotated[str, typer.Argument(metavar="ID", help="The id from a marker (hr_…).")],
    query: Annotated[
        str | None, typer.Option("-q", "--query", help="Return only the parts that match.")
    ] = None,
) -> None:
    """Print the original behind a marker, or only the parts matching --query."""
    from headroom.api import retrieve as retrieve_original

    # Not typer.echo: it strips ANSI codes when stdout is a pipe, and originals keep theirs.
    text = retrieve_original(ccr_id, query=query)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command("config")
def show_config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show every setting: its value now, env var, default and meaning."""
    from rich.table import Table

    from headroom.config import SETTINGS, load_settings

    settings = load_settings()
    rows = [
        (s.name, s.env, repr(getattr(settings, s.name)), repr(s.default), s.doc) for s in SETTINGS
    ]
    if as_json:
        keys = ("name", "env", "value", "default", "doc")
        typer.echo(orjson.dumps([dict(zip(keys, r, strict=True)) for r in rows]).decode())
        return
    table = Table("setting", "env", "value", "default", "doc")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command()
def proxy(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    store: Annotated[
        str | None, typer.Option(help="Store: sqlite, memory, sqlite:///path.db or redis://…")
    ] = None,
    upstream_anthropic: Annotated[
        str | None, typer.Option(help="Anthropic base URL to forward to.")
    ] = None,
    upstream_openai: Annotated[
        str | None, typer.Option(help="OpenAI base URL to forward to.")
    ] = None,
    upstream_gemini: Annotated[
        str | None, typer.Option(help="Gemini base URL to forward to.")
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option(help="Allow listening on a non-loopback address.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every request (method, path, status, ms).")
    ] = False,
) -> None:
    """Run the proxy: point ANTHROPIC_BASE_URL / OPENAI_BASE_URL at it."""
    from headroom.config import load_settings
    from headroom.proxy.defaults import default_app
    from headroom.proxy.server import RemoteBindRefused, check_bind, serve
    from headroom.store import StoreError

    try:
        settings = load_settings(
            proxy_host=host,
            proxy_port=port,
            store=store,
            upstream_anthropic=upstream_anthropic,
            upstream_openai=upstream_openai,
            upstream_gemini=upstream_gemini,
        )
        check_bind(settings.proxy_host, allow_remote=allow_remote)
        app = default_app(settings)
    except (RemoteBindRefused, StoreError, ValueError) as exc:
        sys.stderr.write(f"headroom: {exc}\n")
        raise typer.Exit(2) from exc
    where = f"http://{settings.proxy_host}:{settings.proxy_port}"
    store_name = re.sub(r"//[^/@]*@", "//***@", settings.store)  # no password on screen
    sys.stderr.write(f"headroom proxy listening on {where} (store: {store_name})\n")
    serve(app, settings.proxy_host, settings.proxy_port, verbose=verbose)


advise = typer.Typer(help="Advice from the request history in the ledger.", no_args_is_help=True)
app.add_typer(advise, name="advise")


@advise.command("ttl")
def advise_ttl_command(
    last: Annotated[
        int, typer.Option("--last", min=1, help="How many recent requests to replay.")
    ] = 1000,
) -> None:
    """Compare what the 5-minute and the 1-hour cache TTL would have cost, in dollars."""
    from rich.table import Table

    from headroom.cache.ttl import advise_ttl
    from headroom.config import load_settings
    from headroom.proxy.ledger import Ledger
    from headroom.store import StoreError, open_store

    settings = load_settings()
    try:
        store = open_store(
            settings.store,
            default_ttl=settings.ccr_ttl_seconds,
            max_bytes=settings.store_max_bytes,
            home=settings.home_path,
        )
    except (StoreError, ValueError) as exc:
        sys.stderr.write(f"headroom: {exc}\n")
        raise typer.Exit(2) from exc
    try:
        advice = advise_ttl(Ledger(store).recent(last=last))
    finally:
        store.close()
    gap = "–" if advice.median_gap_s is None else f"{advice.median_gap_s:,.0f} s"
    table = Table("requests", "sessions", "median gap", "$ with 5m", "$ with 1h", "recommended")
    table.add_row(
        f"{advice.requests:,}",
        f"{advice.sessions:,}",
        gap,
        f"{advice.dollars_5m:,.4f}",
        f"{advice.dollars_1h:,.4f}",
        advice.recommended,
    )
    console = Console()
    console.print(table)
    for line in _ttl_notes(advice, settings.cache_ttl):
        console.print(line, highlight=False, soft_wrap=True)


def _ttl_notes(advice: TTLAdvice, current: str) -> list[str]:
    """What the advice means and how to apply it, one line each."""
    lines = [advice.note] if advice.note else []
    if advice.gaps:
        lines.append(f"{advice.mid_gap_share:.0%} of gaps fall between 5 minutes and 1 hour.")
    if advice.ignored:
        lines.append(f"{advice.ignored:,} requests to other providers were left out.")
    lines.append(f"recommended: {advice.recommended} (setting now: {current})")
    lines.append(
        f"apply it with HEADROOM_CACHE_TTL={advice.recommended} or "
        f'cache_ttl = "{advice.recommended}" in config.toml; "auto" follows this advice.'
    )
    return lines


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        err.print(f"headroom: cannot read {path}: {exc.strerror}")
        raise typer.Exit(2) from exc


app.command("bench")(bench_command)


@app.command()
def dashboard(
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open it in the default browser.")
    ] = True,
) -> None:
    """Print (and open) the dashboard's address; the proxy serves it."""
    import webbrowser

    from headroom.config import load_settings

    settings = load_settings()
    url = f"http://{settings.proxy_host}:{settings.proxy_port}/dashboard"
    typer.echo(url)
    if open_browser and not webbrowser.open(url):
        err.print("headroom: no browser to open here; visit the address above")


# Commands that live with their subsystem register themselves (issues 7 and 8).
from headroom.doctor import register as register_doctor  # noqa: E402
from headroom.integrations.hooks import register as register_hooks  # noqa: E402
from headroom.integrations.wrap.cli import register as register_wrap  # noqa: E402
from headroom.mcp.cli import register as register_mcp  # noqa: E402
from headroom.stats_view import register as register_stats  # noqa: E402

for _register in (register_stats, register_wrap, register_mcp, register_hooks, register_doctor):
    _register(app)


def main() -> None:
    app()
