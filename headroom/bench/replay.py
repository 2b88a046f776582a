"""The replay benchmark: recorded agent sessions, billed turn by turn, per arm.

Issue 6's claim is about the bill: Headroom must lower what a real session
costs, cache effects included, and not only its token count. So each session
(`headroom.bench.traces`) is replayed as its client sent it, every request
carrying the full history, and a simulated Anthropic prefix cache
(`headroom.bench.cache_sim`) bills every request at the turn's time (the
trace's timestamps, else a fixed gap). The arms:

- `none`: the client's requests as they were;
- `headroom`: each request through `headroom.prepare.prepare_request`, what the
  proxy does (align, compress with frozen history and the planner, breakpoints),
  with one fresh runtime and memory store per session;
- `headroom-no-align`: the same with the aligner and breakpoint placement off;
- `anchor`: the published Headroom's `compress()`, run in its own venv by
  `benchmarks/_anchor_replay.py` over all turns at once (its start-up is slow).

Every arm's requests carry the client's own breakpoints (`client_cache`):
`none` (the default) sends the requests as the traces recorded them, with no
breakpoints, as these agents sent them; `last2` marks the last block of the
last two user messages, as SWE-agent's cache-control history processor does,
the stricter comparison against a client that already caches. Needles are counted in
the text the model sees at the last turn; `prefix_stable` says whether every
request began with the previous one's bytes (minus `cache_control` and the
aligner's dynamic system block), which is what frozen history promises.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from headroom.bench.cache_sim import Bill, BlockTokens, PrefixCache, canonical, prefix_items
from headroom.bench.corpus import decoded_strings, needle_kept
from headroom.bench.traces import Session, seen_text
from headroom.cache.prices import price_for
from headroom.config import Settings, child_environment, load_settings
from headroom.guard import ERRORS
from headroom.store.memory import MemoryStore
from headroom.tokens import counter_for
from headroom.types import JSONObject

ARMS = ("none", "headroom", "headroom-no-align", "anchor")
CLIENT_CACHE = ("none", "last2")
#: Where a replay without trace timestamps starts (2026-01-01 UTC); only gaps matter.
START = 1_767_225_600.0
ANCHOR_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "_anchor_replay.py"

#: Called once per unit of work done, with a short description of it.
OnStep = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    arms: tuple[str, ...] = ARMS
    client_cache: str = "none"
    gap_seconds: float = 30.0
    anchor_python: Path | None = None
    anchor_script: Path = ANCHOR_SCRIPT


@dataclass(frozen=True, slots=True)
class ArmResult:
    """One arm's bill for one session (or, with session "TOTAL", for all of them)."""

    session: str
    arm: str
    turns: int
    bill: Bill
    needles_total: int
    needles_kept: int
    prefix_stable: bool
    errors: int = 0

    def as_dict(self, client_cache: str) -> dict[str, object]:
        b = self.bill
        return {
            "session": self.session,
            "arm": self.arm,
            "turns": self.turns,
            "input_tokens": b.input_tokens,
            "cache_read_tokens": b.cache_read_tokens,
            "cache_write_tokens": b.cache_write_tokens,
            "uncached_tokens": b.uncached_tokens,
            "input_dollars": round(b.input_dollars, 6),
            "hit_ratio": round(b.hit_ratio, 4),
            "needles_total": self.needles_total,
            "needles_kept": self.needles_kept,
            "prefix_stable": self.prefix_stable,
            "client_cache": client_cache,
            "errors": self.errors + b.invalid,
        }


@dataclass(frozen=True, slots=True)
class Report:
    client_cache: str
    results: tuple[ArmResult, ...]
    #: arm → why it could not run (it is reported, never silently dropped).
    unavailable: tuple[tuple[str, str], ...] = ()

    def totals(self) -> list[ArmResult]:
        arms = dict.fromkeys(r.arm for r in self.results)
        return [total(a, [r for r in self.results if r.arm == a]) for a in arms]

    def total_for(self, arm: str) -> ArmResult | None:
        return next((t for t in self.totals() if t.arm == arm), None)

    def rows(self) -> list[dict[str, object]]:
        """The jsonl lines: one per session and arm, then one TOTAL per arm."""
        rows = [r.as_dict(self.client_cache) for r in self.results]
        rows += [t.as_dict(self.client_cache) for t in self.totals()]
        for arm, reason in self.unavailable:
            rows.append(_unavailable_row(arm, reason, self.client_cache))
        return rows


def total(arm: str, results: Sequence[ArmResult]) -> ArmResult:
    return ArmResult(
        "TOTAL",
        arm,
        sum(r.turns for r in results),
        sum((r.bill for r in results), Bill()),
        sum(r.needles_total for r in results),
        sum(r.needles_kept for r in results),
        all(r.prefix_stable for r in results),
        sum(r.errors for r in results),
    )


def _unavailable_row(arm: str, reason: str, client_cache: str) -> dict[str, object]:
    row: dict[str, object] = {"session": "TOTAL", "arm": arm, "turns": 0}
    for key in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "uncached_tokens"):
        row[key] = None
    row |= {"input_dollars": None, "hit_ratio": None, "needles_total": None}
    row |= {"needles_kept": None, "client_cache": client_cache, "unavailable": reason}
    return row


def total_steps(sessions: Sequence[Session], arms: Iterable[str]) -> int:
    """Units of work `run_replay` reports: one per turn per arm, twice for the anchor."""
    turns = sum(len(s.turns) for s in sessions)
    return sum(turns * (2 if arm == "anchor" else 1) for arm in arms)


def run_replay(
    sessions: Sequence[Session],
    options: ReplayOptions = ReplayOptions(),
    *,
    on_step: OnStep | None = None,
) -> Report:
    """Bill every session under every arm in `options.arms`."""
    unknown = set(options.arms) - set(ARMS)
    if unknown or options.client_cache not in CLIENT_CACHE:
        raise ValueError(
            f"arms must be among {', '.join(ARMS)} and client_cache one of "
            f"{', '.join(CLIENT_CACHE)}; got {sorted(unknown)} / {options.client_cache!r}"
        )
    step = on_step or (lambda _: None)
    settings = load_settings(store="memory")
    tokens = BlockTokens(counter_for(settings.tokenizer_dir, settings.home_path))
    results: list[ArmResult] = []
    unavailable: list[tuple[str, str]] = []
    for arm in options.arms:
        try:
            transforms = _arm_transforms(arm, sessions, options, step)
        except ArmUnavailable as exc:
            unavailable.append((arm, str(exc)))
            continue
        for session in sessions:
            transform = transforms(session)
            results.append(_replay(session, arm, transform, tokens, settings, options, step))
    return Report(options.client_cache, tuple(results), tuple(unavailable))


class ArmUnavailable(RuntimeError):
    """An arm cannot run here (no anchor venv, Headroom's prepare step missing)."""


@dataclass(slots=True)
class _Transform:
    """What an arm does to one session's requests, turn by turn."""

    apply: Callable[[JSONObject, float], JSONObject]
    #: Whether the arm's last body ends its system prompt with the aligner's dynamic block.
    dynamic_system: Callable[[], bool] = lambda: False
    errors: Callable[[], int] = lambda: 0
    close: Callable[[], None] = lambda: None


def _arm_transforms(
    arm: str, sessions: Sequence[Session], options: ReplayOptions, step: OnStep
) -> Callable[[Session], _Transform]:
    policy = options.client_cache
    if arm == "none":
        return lambda _: _Transform(lambda body, _: with_client_cache(body, policy))
    if arm in {"headroom", "headroom-no-align"}:
        try:
            from headroom.prepare import prepare_request  # noqa: F401
        except ImportError as exc:
            raise ArmUnavailable(f"headroom.prepare is not importable ({exc})") from exc
        align = arm == "headroom"
        return lambda session: _headroom(session, policy, align=align)
    compressed = anchor_messages(sessions, options, step)

    def anchor(session: Session) -> _Transform:
        turns = iter(compressed[session.id])

        def apply(body: JSONObject, _: float) -> JSONObject:
            messages, _error = next(turns)
            return with_client_cache({**body, "messages": messages}, policy)

        failed = sum(1 for _, error in compressed[session.id] if error)
        return _Transform(apply, errors=lambda: failed)

    return anchor


def _headroom(session: Session, policy: str, *, align: bool) -> _Transform:
    from headroom.prepare import prepare_request
    from headroom.runtime import build_runtime

    settings = load_settings(store="memory", cache_align=align, cache_breakpoints=align)
    runtime = build_runtime(settings, store=MemoryStore())
    errors_before = ERRORS.total()
    moved = [False]

    def apply(body: JSONObject, now: float) -> JSONObject:
        prepared = prepare_request(
            runtime, "anthropic", with_client_cache(body, policy), session=session.id, now=now
        )
        prepared.commit()
        moved[0] = bool(prepared.moved)
        return prepared.body

    return _Transform(
        apply,
        dynamic_system=lambda: moved[0],
        errors=lambda: ERRORS.total() - errors_before,
        close=runtime.store.close,
    )


def _replay(
    session: Session,
    arm: str,
    transform: _Transform,
    tokens: BlockTokens,
    settings: Settings,
    options: ReplayOptions,
    step: OnStep,
) -> ArmResult:
    cache = PrefixCache(
        tokens, price=price_for(session.model, "anthropic"), min_tokens=settings.cache_min_tokens
    )
    bill, body, stable = Bill(), None, True
    previous: list[bytes] | None = None
    try:
        for turn, now in zip(session.turns, turn_times(session, options.gap_seconds), strict=True):
            body = transform.apply(turn.body, now)
            bill = bill + cache.bill(body, now=now)
            rendered = rendered_prefix(body, dynamic_system=transform.dynamic_system())
            stable = stable and (previous is None or rendered[: len(previous)] == previous)
            previous = rendered
            step(f"{arm} {session.id}")
        errors = transform.errors()
    finally:
        transform.close()
    kept = needles_kept(session, body) if body is not None else 0
    return ArmResult(
        session.id, arm, len(session.turns), bill, len(session.needles), kept, stable, errors
    )


def turn_times(session: Session, gap_seconds: float) -> list[float]:
    """Each turn's time: the trace's timestamp, else the previous turn's plus the gap."""
    times: list[float] = []
    for turn in session.turns:
        if turn.at is not None:
            times.append(turn.at)
        else:
            times.append(times[-1] + gap_seconds if times else START)
    return times


def with_client_cache(body: JSONObject, policy: str) -> JSONObject:
    """The body with the client's own breakpoints (`last2`: the last two user messages)."""
    if policy == "none":
        return body
    messages = list(body.get("messages") or [])
    marked = 0
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        content = message.get("content")
        if message.get("role") != "user" or not content:
            continue
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        last = {**blocks[-1], "cache_control": {"type": "ephemeral"}}
        messages[index] = {**message, "content": [*blocks[:-1], last]}
        marked += 1
        if marked == 2:
            break
    return {**body, "messages": messages}


def rendered_prefix(body: JSONObject, *, dynamic_system: bool = False) -> list[bytes]:
    """The prompt's blocks as bytes, without `cache_control` or the dynamic system block."""
    items = list(prefix_items(body))
    if dynamic_system:
        last_system = max((i for i, (tag, _) in enumerate(items) if tag == b"system"), default=-1)
        items = [item for i, item in enumerate(items) if i != last_system]
    return [tag + b"\0" + canonical(block) for tag, block in items]


def needles_kept(session: Session, body: JSONObject) -> int:
    text = seen_text(body)
    decoded = decoded_strings(text)
    return sum(1 for n in session.needles if needle_kept(n, text, decoded))


# --------------------------------------------------------------------- the anchor
def anchor_messages(
    sessions: Sequence[Session], options: ReplayOptions, step: OnStep
) -> dict[str, list[tuple[list[Any], str | None]]]:
    """Each session's turns compressed by the anchor: (messages, error or None) per turn.

    Runs the anchor venv's python once over all turns; raises ArmUnavailable
    when the venv or the runner script is missing or the run fails.
    """
    python = options.anchor_python
    if python is None or not python.is_file():
        raise ArmUnavailable(
            f"no anchor python at {python}; build the anchor venv (benchmarks/README.md) "
            "or pass --anchor-python"
        )
    if not options.anchor_script.is_file():
        raise ArmUnavailable(f"the anchor runner {options.anchor_script} is missing")
    with tempfile.TemporaryDirectory(prefix="headroom-anchor-replay-") as tmp:
        cases = Path(tmp) / "turns.jsonl"
        with cases.open("wb") as fh:
            for line in _anchor_lines(sessions):
                fh.write(orjson.dumps(line) + b"\n")
        lines = _run_anchor(python, options.anchor_script, cases, Path(tmp), step)
    found: dict[tuple[str, int], tuple[list[Any], str | None]] = {
        (str(x["session"]), int(x["turn"])): (x["messages"], x.get("error")) for x in lines
    }
    out: dict[str, list[tuple[list[Any], str | None]]] = {}
    for session in sessions:
        out[session.id] = []
        for number, turn in enumerate(session.turns):
            missing = (turn.body["messages"], "the anchor returned nothing for this turn")
            out[session.id].append(found.get((session.id, number), missing))
    return out


def _anchor_lines(sessions: Sequence[Session]) -> Iterable[JSONObject]:
    for session in sessions:
        for number, turn in enumerate(session.turns):
            body = turn.body
            system = body.get("system")
            if isinstance(system, list):
                system = "\n\n".join(str(b.get("text", "")) for b in system)
            yield {
                "session": session.id,
                "turn": number,
                "model": session.model,
                "messages": body["messages"],
                "system": system,
                "tools": body.get("tools") or [],
            }


def _run_anchor(
    python: Path, script: Path, cases: Path, workdir: Path, step: OnStep
) -> list[JSONObject]:
    # No PYTHONPATH and a neutral folder, so the anchor never imports this
    # package (it has the same import name).
    env = child_environment(drop=("PYTHONPATH",))
    log = workdir / "anchor.log"
    lines: list[JSONObject] = []
    with cases.open("rb") as stdin, log.open("wb") as stderr:
        proc = subprocess.Popen(
            [str(python.absolute()), str(script.absolute())],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=workdir,
            env=env,
        )
        assert proc.stdout is not None
        for raw in proc.stdout:
            if raw.strip():
                line = orjson.loads(raw)
                lines.append(line)
                step(f"anchor compress {line.get('session')}")
        code = proc.wait()
    if code != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise ArmUnavailable(f"the anchor run failed (exit {code}): {' | '.join(tail)}")
    return lines


@dataclass(frozen=True, slots=True)
class Comparison:
    """The issue's targets, read off a report (None where an arm did not run)."""

    #: Input dollars arm `headroom` saves against arm `none`, in percent.
    headroom_saving_pct: float | None
    #: The same for the anchor.
    anchor_saving_pct: float | None
    #: Dollars `headroom` saves over dollars the anchor saves (None when the anchor saves nothing).
    headroom_over_anchor: float | None
    #: Sessions where `headroom`'s hit ratio is below `none`'s.
    hit_ratio_below: tuple[str, ...]


def compare(report: Report) -> Comparison:
    base = report.total_for("none")
    ours = report.total_for("headroom")
    anchor = report.total_for("anchor")
    saved = _saved(base, ours)
    anchor_saved = _saved(base, anchor)
    ratio = saved / anchor_saved if saved is not None and anchor_saved else None
    none_hits = {r.session: r.bill.hit_ratio for r in report.results if r.arm == "none"}
    below = tuple(
        r.session
        for r in report.results
        if r.arm == "headroom" and r.bill.hit_ratio < none_hits.get(r.session, 0.0) - 1e-9
    )
    dollars = base.bill.input_dollars if base else 0.0
    return Comparison(
        100.0 * saved / dollars if saved is not None and dollars else None,
        100.0 * anchor_saved / dollars if anchor_saved is not None and dollars else None,
        ratio,
        below,
    )


def _saved(base: ArmResult | None, arm: ArmResult | None) -> float | None:
    if base is None or arm is None:
        return None
    return base.bill.input_dollars - arm.bill.input_dollars
