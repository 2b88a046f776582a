"""The usage ledger: one entry per proxied request, persisted in the store.

The proxy records, for every request, what it saved (tokens before and after
compression, estimated), what the provider says it used (`Usage`), what it did
(compressors, blocks changed, retrievals answered) and what it cost (the time
it added). `/stats` reads it back; `headroom stats` could too, since the ledger
lives in the same `Store` as the CCR originals and is shared the same way.

Two things are kept, so `/stats` never has to scan history:

- **Running counters** (`store.incr`), once for everything (`ledger.all.*`) and
  once per tenant (`ledger.tenant.<hash>.*`): requests, tokens, usage sums,
  and counts per compressor, model, provider and status.
- **The recent entries**, as JSON bytes with a TTL in a ring of `slots` keys.
  Each record takes a slot number from `n = store.incr("ledger.seq")` and
  writes `ledger.entry.{n % slots}`. `incr` is atomic in every backend, so
  concurrent records (threads, processes, replicas) never share a slot; the
  entry keeps its `seq`, so a reader skips a slot already reused by a later
  record instead of showing it twice.

Tenants are the short hash `tenant_of` makes of the caller's credential, never
the credential itself. `Ledger.record` does blocking store I/O: call it once the
response is done (from a thread), wrapped in `guarded("ledger", ...)` so a
store failure never fails a request.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from headroom.accounting import measured_savings
from headroom.providers.usage import Usage
from headroom.store import Store

__all__ = ["Ledger", "LedgerEntry", "session_of", "tenant_of"]

#: Counter and key names; everything the ledger writes starts with "ledger.".
SEQ = "ledger.seq"
ALL = "ledger.all."
TENANT = "ledger.tenant."
ENTRY = "ledger.entry."

#: How many recent entries are kept, and for how long (seconds).
DEFAULT_SLOTS = 1000
DEFAULT_ENTRY_TTL = 7 * 24 * 3600

ANONYMOUS = "anonymous"
_NAME_CAP = 128  # model and session names are caller-controlled; keep them short


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What happened to one request."""

    provider: str
    model: str
    tenant: str
    time: float = field(default_factory=time.time)
    request_id: str = ""
    #: The route template, e.g. "/v1/messages" (bounded, unlike raw paths).
    route: str = ""
    #: See `session_of`; `tenant` comes from `tenant_of`.
    session: str | None = None
    #: Estimated tokens of the request body before and after compression.
    tokens_before: int = 0
    tokens_after: int = 0
    #: The provider's own usage; None when the response carried none.
    usage: Usage | None = None
    #: Blocks changed, per compressor name.
    compressors: Mapping[str, int] = field(default_factory=dict)
    blocks_changed: int = 0
    #: headroom_retrieve calls the proxy answered itself.
    retrievals: int = 0
    #: Time the proxy itself added (parse, compress, render, retrieve work).
    proxy_ms: float = 0.0
    #: Time from sending upstream to its response headers; None when not reached.
    upstream_ms: float | None = None
    status: int = 200
    streaming: bool = False
    #: What the cache aligner moved out of the cacheable prefix (kinds).
    moved: tuple[str, ...] = ()
    #: Where cache breakpoints were placed ("tools", "system", "message:3", …).
    breakpoints: tuple[str, ...] = ()
    #: One record per block the pipeline looked at: what was decided and why.
    decisions: tuple[Mapping[str, Any], ...] = ()
    #: `compressed`, `holdout` or `meter-only` (see `headroom.accounting`).
    arm: str = "compressed"
    #: The request as the client sent it, in estimated tokens.
    body_tokens: int = 0
    #: What the request cost (the provider's usage, priced), and what it would
    #: have cost without Headroom (estimated); None without a usage receipt.
    dollars: float | None = None
    dollars_without: float | None = None
    #: The ledger's sequence number (set when read back; `GET /v1/requests/{id}`).
    id: int = field(default=0, compare=False)

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens_before - self.tokens_after)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["compressors"] = dict(self.compressors)
        data["usage"] = None if self.usage is None else self.usage.as_dict()
        data["moved"] = list(self.moved)
        data["breakpoints"] = list(self.breakpoints)
        data["decisions"] = [dict(d) for d in self.decisions]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LedgerEntry:
        fields = dict(data)
        usage = fields.get("usage")
        fields["usage"] = None if usage is None else Usage(**usage)
        for name in ("moved", "breakpoints", "decisions"):
            fields[name] = tuple(fields.get(name) or ())
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in fields.items() if k in known})


def tenant_of(headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> str:
    """A short, stable hash naming the caller's credential, or "anonymous".

    The credential is `x-api-key`, else an `Authorization` bearer token, else
    Gemini's `x-goog-api-key` or `?key=`. Only 16 hex digits of a salted SHA-256
    are kept, which names a tenant but cannot give the key back.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    secret = lower.get("x-api-key") or _bearer(lower.get("authorization", ""))
    secret = secret or lower.get("x-goog-api-key") or (query or {}).get("key", "")
    if not secret:
        return ANONYMOUS
    digest = hashlib.sha256(b"headroom-tenant\0" + secret.encode()).hexdigest()
    return f"t_{digest[:16]}"


def _bearer(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


#: Headers that name the client's session (Claude Code, Codex), first match wins.
SESSION_HEADERS = ("x-claude-code-session-id", "conversation_id", "session_id")


def session_of(headers: Mapping[str, str], body: Mapping[str, Any] | None) -> str | None:
    """The client's session or conversation key, when it sends one.

    Headers first (Claude Code's `X-Claude-Code-Session-Id`, Codex's
    `conversation_id` / `session_id`), then the body's `prompt_cache_key`
    (OpenAI) or `metadata.user_id` (Anthropic).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    for name in SESSION_HEADERS:
        if lower.get(name):
            return lower[name][:_NAME_CAP]
    if not body:
        return None
    metadata = body.get("metadata")
    candidates = (
        body.get("prompt_cache_key"),
        metadata.get("user_id") if isinstance(metadata, Mapping) else None,
    )
    for value in candidates:
        if isinstance(value, str) and value:
            return value[:_NAME_CAP]
    return None


def _amounts(entry: LedgerEntry) -> dict[str, int]:
    """The counter increments one entry makes, by name under a prefix."""
    usage = entry.usage or Usage()
    amounts = {
        "requests": 1,
        "streaming": int(entry.streaming),
        "tokens_before": entry.tokens_before,
        "tokens_after": entry.tokens_after,
        "tokens_saved": entry.tokens_saved,
        "blocks_changed": entry.blocks_changed,
        "retrievals": entry.retrievals,
        "proxy_us": round(entry.proxy_ms * 1000),
        "with_usage": int(entry.usage is not None),
        **{f"usage.{k}": v for k, v in usage.as_dict().items()},
        f"provider.{entry.provider}": 1,
        f"model.{entry.model[:_NAME_CAP]}": 1,
        f"status.{entry.status}": 1,
    }
    for name, count in entry.compressors.items():
        amounts[f"compressor.{name}"] = count
    day = time.strftime("%Y-%m-%d", time.gmtime(entry.time))
    money = {
        "dollars_u": _micro(entry.dollars),
        "dollars_without_u": _micro(entry.dollars_without),
    }
    amounts.update(money)
    amounts[f"arm.{entry.arm}.requests"] = 1
    amounts[f"arm.{entry.arm}.body_tokens"] = entry.body_tokens
    amounts[f"arm.{entry.arm}.dollars_u"] = money["dollars_u"]
    amounts[f"day.{day}.requests"] = 1
    amounts[f"day.{day}.tokens_saved"] = entry.tokens_saved
    for name, value in money.items():
        amounts[f"day.{day}.{name}"] = value
    for decision in entry.decisions:
        saved = int(decision.get("tokens_before", 0)) - int(decision.get("tokens_after", 0))
        if saved > 0 and decision.get("decision") in {"compressed", "frozen"}:
            for group in ("compressor", "tool"):
                name = str(decision.get(group) or "-")[:_NAME_CAP]
                key = f"saved_by_{group}.{name}"
                amounts[key] = amounts.get(key, 0) + saved
    if entry.tokens_saved:
        amounts[f"saved_by_model.{entry.model[:_NAME_CAP]}"] = entry.tokens_saved
    return {k: v for k, v in amounts.items() if v}


def _micro(dollars: float | None) -> int:
    """Dollars as whole micro-dollars (store counters are integers)."""
    return round(dollars * 1_000_000) if dollars else 0


class Ledger:
    """Records `LedgerEntry`s in a store and summarizes them."""

    def __init__(
        self,
        store: Store,
        *,
        slots: int = DEFAULT_SLOTS,
        entry_ttl: float = DEFAULT_ENTRY_TTL,
    ) -> None:
        if slots <= 0:
            raise ValueError(f"slots must be positive, got {slots}")
        self.store = store
        self.slots = slots
        self.entry_ttl = entry_ttl

    def record(self, entry: LedgerEntry) -> int:
        """Persist `entry` and add it to the counters; returns its sequence number."""
        seq = self.store.incr(SEQ)
        payload = {"seq": seq, **entry.to_json()}
        self.store.put(f"{ENTRY}{seq % self.slots}", orjson.dumps(payload), ttl=self.entry_ttl)
        tenant_prefix = f"{TENANT}{entry.tenant}."
        for name, amount in _amounts(entry).items():
            self.store.incr(ALL + name, amount)
            self.store.incr(tenant_prefix + name, amount)
        return seq

    def summary(self, tenant: str | None = None, *, last: int = 20) -> dict[str, Any]:
        """Totals (for one tenant, or everyone) and the `last` recent entries, newest first."""
        counters = self.store.counters("ledger.")
        prefix = ALL if tenant is None else f"{TENANT}{tenant}."
        totals = {k.removeprefix(prefix): v for k, v in counters.items() if k.startswith(prefix)}
        summary = _summarize(totals)
        summary["recorded"] = counters.get(SEQ, 0)
        summary["tenant"] = tenant
        recent = self.recent(tenant, last=max(last, MEASURE_WINDOW))
        summary["measured"] = measured_savings(
            (e.arm, e.dollars, e.body_tokens) for e in recent if e.dollars is not None
        ).as_dict()
        summary["recent"] = [e.to_json() for e in recent[:last]]
        if tenant is None:
            summary["tenants"] = _tenant_requests(counters)
        return summary

    def recent(self, tenant: str | None = None, *, last: int = 20) -> list[LedgerEntry]:
        """Up to `last` of the entries still in the ring, newest first."""
        newest = self.store.counters(SEQ).get(SEQ, 0)
        found: list[LedgerEntry] = []
        for seq in range(newest, max(0, newest - self.slots), -1):
            if len(found) >= last:
                break
            entry = self.entry(seq)
            if entry is not None and (tenant is None or entry.tenant == tenant):
                found.append(entry)
        return found

    def entry(self, seq: int) -> LedgerEntry | None:
        """The entry recorded as number `seq`, while it is still in the ring."""
        if seq <= 0:
            return None
        item = self.store.get(f"{ENTRY}{seq % self.slots}")
        if item is None:
            return None
        data = orjson.loads(item.value)
        if data.pop("seq", None) != seq:  # the slot was reused (or not yet written)
            return None
        data["id"] = seq
        return LedgerEntry.from_json(data)


def _group(totals: Mapping[str, int], group: str) -> dict[str, int]:
    head = f"{group}."
    return {k.removeprefix(head): v for k, v in totals.items() if k.startswith(head)}


def _summarize(totals: Mapping[str, int]) -> dict[str, Any]:
    requests = totals.get("requests", 0)
    before = totals.get("tokens_before", 0)
    saved = totals.get("tokens_saved", 0)
    usage = Usage(**{k: totals.get(f"usage.{k}", 0) for k in Usage().as_dict()})
    prompt = usage.prompt_tokens
    days = _days(totals)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return {
        "dollars": _dollars(totals.get("dollars_u", 0), totals.get("dollars_without_u", 0)),
        "today": {"day": today, **days.get(today, _day({}))},
        "timeline": [{"day": day, **values} for day, values in sorted(days.items())],
        "cache": {
            "read_tokens": usage.cache_read_tokens,
            "write_tokens": usage.cache_write_tokens,
            "hit_rate": round(usage.cache_read_tokens / prompt, 4) if prompt else 0.0,
        },
        "saved_by": {
            group: _group(totals, f"saved_by_{group}") for group in ("compressor", "tool", "model")
        },
        "arms": {
            arm: {
                "requests": totals.get(f"arm.{arm}.requests", 0),
                "body_tokens": totals.get(f"arm.{arm}.body_tokens", 0),
                "dollars": round(totals.get(f"arm.{arm}.dollars_u", 0) / 1e6, 6),
            }
            for arm in ("compressed", "holdout", "meter-only")
        },
        "requests": requests,
        "streaming": totals.get("streaming", 0),
        "tokens_before": before,
        "tokens_after": totals.get("tokens_after", 0),
        "tokens_saved": saved,
        "saved_pct": round(100 * saved / before, 2) if before else 0.0,
        "blocks_changed": totals.get("blocks_changed", 0),
        "retrievals": totals.get("retrievals", 0),
        "proxy_ms_avg": round(totals.get("proxy_us", 0) / 1000 / requests, 3) if requests else 0.0,
        "responses_with_usage": totals.get("with_usage", 0),
        "usage": Usage(**{k: totals.get(f"usage.{k}", 0) for k in Usage().as_dict()}).as_dict(),
        "compressors": _group(totals, "compressor"),
        "models": _group(totals, "model"),
        "providers": _group(totals, "provider"),
        "statuses": _group(totals, "status"),
    }


#: Recent entries the holdout measurement looks at.
MEASURE_WINDOW = 500


def _dollars(spent_u: int, without_u: int) -> dict[str, Any]:
    """Dollars spent and saved; the saving is an estimate (see `headroom.accounting`)."""
    return {
        "spent": round(spent_u / 1e6, 6),
        "without_headroom": round(without_u / 1e6, 6),
        "saved": round((without_u - spent_u) / 1e6, 6),
        "label": "estimated",
    }


def _day(values: Mapping[str, int]) -> dict[str, Any]:
    return {
        "requests": values.get("requests", 0),
        "tokens_saved": values.get("tokens_saved", 0),
        **_dollars(values.get("dollars_u", 0), values.get("dollars_without_u", 0)),
    }


def _days(totals: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Per-day counters (`day.YYYY-MM-DD.*`), by day."""
    grouped: dict[str, dict[str, int]] = {}
    for name, value in totals.items():
        if name.startswith("day."):
            day, _, metric = name[4:].partition(".")
            grouped.setdefault(day, {})[metric] = value
    return {day: _day(values) for day, values in grouped.items()}


def _tenant_requests(counters: Mapping[str, int]) -> dict[str, int]:
    """Requests per tenant hash."""
    tail = ".requests"
    return {
        k.removeprefix(TENANT).removesuffix(tail): v
        for k, v in counters.items()
        if k.startswith(TENANT) and k.endswith(tail) and k.count(".") == 3
    }
