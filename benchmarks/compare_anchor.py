"""Side-by-side comparison of our `headroom bench` with the published Headroom ("the anchor").

The anchor is PyPI `headroom-ai`, run by `shared/tools/anchor_compress.py` from its
own venv outside this repo (see benchmarks/README.md). Both sides compress each
corpus sample once per needle question, with that question as the query. This
script puts the two on one footing and prints one row per corpus type:

* tokens saved %: o200k tokens of the tool output, per sample the mean after
  its questions, summed per type (the aggregation `headroom bench` uses);
* needles kept: a needle is kept when every `must_contain` string appears in the
  compressed text (anchor: checked here against its `compressed_text`; ours: as
  reported by `headroom bench`);
* p50 ms and max ms: per sample the median over its questions, then the median
  and the maximum over the samples of the type (again as `headroom bench` does);
* the ratio of tokens saved, ours / anchor, summed over a chosen set of types.

Only samples present on both sides are compared. Timings are comparable only
when both sides ran on the same machine in the same time window; use
`--run-anchor` to run the anchor right after our bench.

Stdlib and orjson only, so it runs with the repo's `.venv/bin/python`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEFAULT_TYPES = "logs,json,shell,search,diff"
#: corpus type -> the anchor runner's `type` (it picks a neutral tool name from it).
ANCHOR_TYPE = {"logs": "log"}


@dataclass(frozen=True, slots=True)
class Row:
    """One sample's result on one side, aggregated over its needle questions."""

    id: str
    type: str
    tokens_before: int
    tokens_after: float
    ms: float
    needles_total: int
    needles_kept: int
    errors: int = 0


@dataclass(frozen=True, slots=True)
class TypeStats:
    samples: int
    tokens_before: int
    tokens_after: float
    needles_total: int
    needles_kept: int
    p50_ms: float
    max_ms: float
    errors: int

    @property
    def saved(self) -> float:
        return self.tokens_before - self.tokens_after

    @property
    def saved_pct(self) -> float:
        return 100.0 * self.saved / self.tokens_before if self.tokens_before else 0.0


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for line in fh:
            if line.strip() and not line.lstrip().startswith(b"//"):
                yield orjson.loads(line)


def read_manifest(corpus: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in read_jsonl(corpus / "manifest.jsonl")}


def sample_path(corpus: Path, record: dict[str, Any]) -> Path:
    """Main manifests name the file; holdout manifests leave it to a naming rule."""
    rel = record.get("path")
    if rel:
        return corpus / str(rel)
    base = Path(str(record["source_path"])).name
    return corpus / str(record["type"]) / f"{record['id']}__{base}"


def write_cases(corpus: Path, types: set[str] | None, out: Path) -> int:
    """The anchor runner's input: one case per (sample, needle question)."""
    n = 0
    with out.open("wb") as fh:
        for sid, rec in read_manifest(corpus).items():
            if types and rec["type"] not in types:
                continue
            text = sample_path(corpus, rec).read_bytes().decode("utf-8", errors="replace")
            for k, needle in enumerate(rec["needles"]):
                case = {
                    "id": f"{sid}#{k}",
                    "type": ANCHOR_TYPE.get(rec["type"], rec["type"]),
                    "text": text,
                    "query": needle["question"],
                }
                fh.write(orjson.dumps(case) + b"\n")
                n += 1
    return n


def json_strings(text: str) -> str:
    """Every string value of a JSON (or JSON-lines) text, one per line; "" if not JSON."""
    try:
        docs = [orjson.loads(text)]
    except orjson.JSONDecodeError:
        docs = []
        for line in text.splitlines():
            try:
                docs.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    out, stack = [], docs[::-1]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict | list):
            stack.extend(reversed(list(v.values()) if isinstance(v, dict) else v))
    return "\n".join(out)


def kept(must: list[str], text: str, decoded: bool) -> bool:
    """Every needle string is in the text (or, when decoded, in its JSON string values)."""
    if all(s in text for s in must):
        return True
    if not decoded:
        return False
    values = json_strings(text)
    return all(s in text or s in values for s in must)


def anchor_rows(
    results: Path, manifest: dict[str, dict[str, Any]], *, decoded: bool = False
) -> list[Row]:
    """Group the anchor's per-question lines into per-sample rows, scoring needles."""
    by_sample: dict[str, list[dict[str, Any]]] = {}
    for rec in read_jsonl(results):
        if "id" not in rec or "#" not in str(rec["id"]):
            continue  # header and summary lines
        sid, _, _ = str(rec["id"]).rpartition("#")
        if sid not in manifest:
            sys.exit(f"{results}: case {rec['id']} is not in the corpus manifest (wrong --corpus?)")
        by_sample.setdefault(sid, []).append(rec)
    return [_anchor_row(sid, recs, manifest[sid], decoded) for sid, recs in by_sample.items()]


def _anchor_row(sid: str, recs: list[dict[str, Any]], sample: dict[str, Any], decoded: bool) -> Row:
    before = int(recs[0]["tokens_before"])
    afters: list[int] = []
    times: list[float] = []
    n_kept = errors = 0
    for rec in recs:
        k = int(str(rec["id"]).rpartition("#")[2])
        text = rec.get("compressed_text")
        if text is None and not rec.get("error"):
            sys.exit(f"case {rec['id']} has no compressed_text: run the anchor without --no-text")
        if rec.get("error") or text is None or rec.get("tokens_after") is None:
            # A failed call sends the original on; count it as a pass-through.
            errors += 1
            afters.append(before)
            n_kept += 1
        else:
            afters.append(int(rec["tokens_after"]))
            n_kept += kept(sample["needles"][k]["must_contain"], text, decoded)
        times.append(float(rec.get("ms") or 0.0))
    return Row(
        id=sid,
        type=sample["type"],
        tokens_before=before,
        tokens_after=statistics.fmean(afters),
        ms=statistics.median(times),
        needles_total=len(recs),
        needles_kept=n_kept,
        errors=errors,
    )


def our_rows(path: Path) -> list[Row]:
    """Per-sample rows of `headroom bench --format jsonl` (summary lines skipped)."""
    keys = ("id", "type", "tokens_before", "tokens_after", "ms", "needles_total", "needles_kept")
    return [Row(**{k: r[k] for k in keys}) for r in read_jsonl(path) if "summary" not in r]


def per_type(rows: Iterable[Row]) -> dict[str, TypeStats]:
    groups: dict[str, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.type, []).append(r)
    out = {}
    for t, rs in groups.items():
        times = [r.ms for r in rs]
        out[t] = TypeStats(
            samples=len(rs),
            tokens_before=sum(r.tokens_before for r in rs),
            tokens_after=sum(r.tokens_after for r in rs),
            needles_total=sum(r.needles_total for r in rs),
            needles_kept=sum(r.needles_kept for r in rs),
            p50_ms=statistics.median(times),
            max_ms=max(times),
            errors=sum(r.errors for r in rs),
        )
    return out


def run_ours(corpus: Path, python: str, out: Path) -> float:
    """Run our bench on the whole corpus; returns its wall time in seconds."""
    env = dict(os.environ)
    if "TIKTOKEN_CACHE_DIR" not in env and (SHARED / "tiktoken").is_dir():
        env["TIKTOKEN_CACHE_DIR"] = str(SHARED / "tiktoken")
    cmd = [python, "-m", "headroom", "bench", "--corpus", str(corpus), "--format", "jsonl"]
    return _run(cmd, out, cwd=REPO, env=env)


def run_anchor(args: argparse.Namespace, types: set[str] | None, out: Path) -> float:
    """Run the anchor runner on freshly written cases; returns its wall time in seconds."""
    with tempfile.TemporaryDirectory(prefix="compare-anchor-") as tmp:
        cases = Path(tmp) / "cases.jsonl"
        n = write_cases(args.corpus, types, cases)
        print(f"anchor: {n} cases -> {out}", file=sys.stderr)
        # No PYTHONPATH, and a neutral working directory, so that the anchor's
        # `import headroom` can never pick up this repo's package of the same name.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        cmd = [args.anchor_python, str(args.anchor_tool), str(cases)]
        cmd += ["--runs", str(args.anchor_runs)]
        return _run(cmd, out, cwd=Path(tmp), env=env)


def _run(cmd: list[str], out: Path, *, cwd: Path, env: dict[str, str]) -> float:
    print("+ " + " ".join(cmd), file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.run(cmd, stdout=fh, cwd=cwd, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"command failed with exit status {proc.returncode}: {' '.join(cmd)}")
    return time.perf_counter() - start


HEADER = ("saved%", "needles", "p50ms", "maxms")


def _cells(s: TypeStats | None) -> list[str]:
    if s is None:
        return ["-"] * len(HEADER)
    kept = f"{s.needles_kept}/{s.needles_total}"
    return [f"{s.saved_pct:.1f}", kept, f"{s.p50_ms:.1f}", f"{s.max_ms:.1f}"]


def table(anchor: dict[str, TypeStats], ours: dict[str, TypeStats], order: list[str]) -> str:
    """One row per type; each measure as an anchor (A) and ours (O) column pair."""
    head = ["type", "samples"] + [f"{h} {side}" for h in HEADER for side in "AO"] + ["err A"]
    rows = [head]
    for t in order:
        a, o = anchor.get(t), ours.get(t)
        pairs = [c for pair in zip(_cells(a), _cells(o), strict=True) for c in pair]
        either = a or o
        n = either.samples if either else 0
        rows.append([t, str(n), *pairs, str(a.errors) if a else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        )
        for r in rows
    )


def saved_ratio(
    anchor: dict[str, TypeStats], ours: dict[str, TypeStats], types: list[str]
) -> dict[str, Any]:
    """Tokens saved by ours over tokens saved by the anchor, summed over `types`."""
    used = [t for t in types if t in anchor and t in ours]
    a_saved = sum(anchor[t].saved for t in used)
    o_saved = sum(ours[t].saved for t in used)
    return {
        "types": used,
        "missing_on_one_side": [t for t in types if t not in used],
        "ours_saved": round(o_saved, 1),
        "anchor_saved": round(a_saved, 1),
        "ratio": round(o_saved / a_saved, 4) if a_saved > 0 else None,
    }


def ratio_line(r: dict[str, Any]) -> str:
    ratio = "n/a (the anchor saved nothing)" if r["ratio"] is None else f"{r['ratio']:.3f}"
    line = (
        f"tokens saved, ours/anchor, over {','.join(r['types']) or '(no type)'}: "
        f"{r['ours_saved']:,.0f} / {r['anchor_saved']:,.0f} = {ratio}"
    )
    missing = r["missing_on_one_side"]
    return line + (f"  [missing on one side: {','.join(missing)}]" if missing else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog="A = the anchor (published headroom-ai), O = ours. See benchmarks/README.md.",
    )
    add = p.add_argument
    add("--corpus", type=Path, default=SHARED / "corpus", help="folder with manifest.jsonl")
    add("--anchor-results", type=Path, help="anchor_compress.py output (written with --run-anchor)")
    add("--ours", type=Path, help="`headroom bench --format jsonl` output (default: run it now)")
    add("--ours-python", default=sys.executable, help="python for our bench (default: this one)")
    add("--ours-out", type=Path, help="keep the output of our bench run in this file")
    add("--run-anchor", action="store_true", help="run the anchor now, right after our bench")
    add("--anchor-python", help="python of the anchor venv, e.g. /work/anchor-venv/bin/python")
    add(
        "--anchor-tool",
        type=Path,
        default=SHARED / "tools" / "anchor_compress.py",
        help="the runner script",
    )
    add("--anchor-runs", type=int, default=3, help="anchor timed calls per case (default 3)")
    add("--anchor-types", default="", help="run the anchor on these types only (default all)")
    add("--types", default=DEFAULT_TYPES, help=f"types of the saved ratio ({DEFAULT_TYPES})")
    add(
        "--anchor-needles",
        choices=["plain", "decoded"],
        default="plain",
        help="plain: needle strings must be in the anchor's compressed_text (default); decoded: "
        "or in its JSON string values, the rule `headroom bench` applies to our side",
    )
    add("--json", action="store_true", help="print the per-type numbers as JSON")
    args = p.parse_args(argv)
    if args.run_anchor and not args.anchor_python:
        p.error("--run-anchor needs --anchor-python")
    if not args.run_anchor and args.anchor_results is None:
        p.error("give --anchor-results, or --run-anchor --anchor-python PY")
    return args


def collect(args: argparse.Namespace, tmp: Path) -> tuple[list[Row], list[Row], list[str]]:
    """Both sides' per-sample rows (running what was asked for), plus notes on the runs."""
    notes: list[str] = []
    ours_path = args.ours
    if ours_path is None:
        ours_path = args.ours_out or tmp / "ours.jsonl"
        wall = run_ours(args.corpus, args.ours_python, ours_path)
        notes.append(f"ours: ran now, {wall:.1f} s wall" + _kept_in(args.ours_out))
    anchor_path = args.anchor_results
    if args.run_anchor:
        anchor_path = anchor_path or tmp / "anchor.jsonl"
        types = {t for t in args.anchor_types.split(",") if t} or None
        wall = run_anchor(args, types, anchor_path)
        notes.append(f"anchor: ran now, {wall:.1f} s wall" + _kept_in(args.anchor_results))
    manifest = read_manifest(args.corpus)
    anchor = anchor_rows(anchor_path, manifest, decoded=args.anchor_needles == "decoded")
    return anchor, our_rows(ours_path), notes


def _kept_in(path: Path | None) -> str:
    return f", output in {path}" if path else " (output not kept)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compare-anchor-") as tmp:
        anchor, ours, notes = collect(args, Path(tmp))
    common = {r.id for r in anchor} & {r.id for r in ours}
    for side, rows in (("anchor", anchor), ("ours", ours)):
        dropped = sorted({r.id for r in rows} - common)
        if dropped:
            notes.append(f"{side}: {len(dropped)} samples without a counterpart left out")
    ours_before = {r.id: r.tokens_before for r in ours}
    mismatch = [r.id for r in anchor if r.id in common and r.tokens_before != ours_before[r.id]]
    if mismatch:
        notes.append(f"tokens_before differs between the sides for {len(mismatch)} samples")
    a_stats = per_type(r for r in anchor if r.id in common)
    o_stats = per_type(r for r in ours if r.id in common)
    order = list(dict.fromkeys([r.type for r in ours if r.id in common]))
    ratio = saved_ratio(a_stats, o_stats, [t for t in args.types.split(",") if t])
    if args.json:
        doc = {
            "anchor": {t: vars_of(s) for t, s in a_stats.items()},
            "ours": {t: vars_of(s) for t, s in o_stats.items()},
            "saved_ratio": ratio,
            "notes": notes,
        }
        print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return 0
    print(table(a_stats, o_stats, order))
    print()
    print(ratio_line(ratio))
    for note in notes:
        print(f"note: {note}")
    return 0


def vars_of(s: TypeStats) -> dict[str, Any]:
    return {
        **asdict(s),
        "tokens_after": round(s.tokens_after, 1),
        "saved_pct": round(s.saved_pct, 2),
        "p50_ms": round(s.p50_ms, 2),
        "max_ms": round(s.max_ms, 2),
    }


if __name__ == "__main__":
    sys.exit(main())
