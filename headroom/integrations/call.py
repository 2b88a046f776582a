"""One model call made from inside the process, through Headroom.

`with_headroom` (the SDK wrapper) and the LiteLLM `completion` wrapper call
the provider themselves instead of going through the proxy, but a request
must get what the proxy gives it: `headroom.prepare` (align, compress with
frozen history and the cache planner, breakpoints), the `headroom_retrieve`
tool, retrieve calls answered from the store with the model called again, and
the tool hidden from the caller. The proxy's retrieve loop is sans-IO
(`headroom.proxy.retrieve`), so it is reused here unchanged; only the I/O
differs: the "upstream" is a client method that takes keyword arguments and
returns an object.

`exchange(...)` is that loop written once, as a generator: it yields the
keyword arguments of each call to make, is sent each call's result, and
returns what the caller gets. `call_sync` and `call_async` drive it; under
async clients each step of the generator (compression, store reads) runs in a
worker thread, so a large request does not stall the event loop.

A `Shape` says how one client's keyword arguments and results map to the
wire format's JSON, so the loop never names a client library.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from headroom.guard import guarded
from headroom.prepare import Prepared, prepare_request
from headroom.proxy.retrieve import (
    TOOL_NAME,
    PendingRetrievals,
    add_tool,
    answer_all,
    continuation,
    find_calls,
    is_only_retrieve,
    merge_responses,
    supports,
)
from headroom.proxy.retrieve.tool import tool_name
from headroom.runtime import Runtime, get_runtime
from headroom.types import JSONObject

#: The generator behind one call: yields keyword arguments, is sent results.
Call = Generator[dict[str, Any], Any, Any]

#: Class names of the SDKs' "argument not given" markers (anthropic and openai
#: both use these): such an argument is not part of the request body.
_NOT_GIVEN = frozenset({"NotGiven", "Omit"})


@dataclass(frozen=True, slots=True)
class Engine:
    """What calls made through Headroom share: the runtime and the hidden retrieve pairs."""

    runtime: Runtime
    pending: PendingRetrievals
    #: The base URL the calls go to, when known (see `prepare_request`'s `upstream`).
    upstream: str | None = None

    @classmethod
    def build(cls, upstream: str | None = None, **options: Any) -> Engine:
        """An engine for these settings overrides (see `headroom.config.SETTINGS`)."""
        runtime = get_runtime(**options)
        settings = runtime.settings
        pending = PendingRetrievals(
            runtime.store, ttl=settings.ccr_ttl_seconds, raise_errors=settings.raise_errors
        )
        return cls(runtime, pending, upstream)

    @property
    def rounds(self) -> int:
        return self.runtime.settings.retrieve_rounds

    def prepare(self, wire: str, body: JSONObject) -> Prepared | None:
        """`body` prepared as the proxy would; None (send it as it is) on an internal error."""
        work = functools.partial(prepare_request, self.runtime, wire, body, upstream=self.upstream)
        return guarded(
            "integrations:prepare", work, None, raise_errors=self.runtime.settings.raise_errors
        )

    def answer(self, ccr_id: str, query: str | None) -> str:
        return self.runtime.ccr.retrieve(ccr_id, query)


@dataclass(frozen=True, slots=True)
class Shape:
    """How one client's call arguments and results map to a wire format's JSON."""

    #: A result as the wire format's JSON object.
    to_json: Callable[[Any], JSONObject]
    #: A result of the client's own type, from the last result and new JSON.
    from_json: Callable[[Any, JSONObject], Any]
    #: Keyword arguments that never belong to the body (request options).
    options: frozenset[str] = frozenset()
    #: When set, only these keyword arguments are the body.
    body_keys: frozenset[str] | None = None
    #: The keyword argument that takes body keys Headroom added (None: such
    #: keys are left out, except those in `body_keys`).
    extra: str | None = None

    def split(self, kwargs: Mapping[str, Any]) -> tuple[JSONObject, dict[str, Any]]:
        """The request body (plain JSON values) and the other keyword arguments."""
        body: JSONObject = {}
        rest: dict[str, Any] = {}
        for key, value in kwargs.items():
            if self._in_body(key) and type(value).__name__ not in _NOT_GIVEN:
                body[key] = plain(value)
            else:
                rest[key] = value
        return body, rest

    def join(
        self, rest: Mapping[str, Any], body: Mapping[str, Any], given: frozenset[str]
    ) -> dict[str, Any]:
        """Keyword arguments for a call that sends `body`; `given` are the caller's body keys."""
        kwargs = dict(rest)
        added: JSONObject = {}
        for key, value in body.items():
            if key in given or (self.body_keys is not None and key in self.body_keys):
                kwargs[key] = value
            else:
                added[key] = value
        if added and self.extra is not None:
            kwargs[self.extra] = {**(rest.get(self.extra) or {}), **added}
        return kwargs

    def _in_body(self, key: str) -> bool:
        if self.body_keys is not None:
            return key in self.body_keys
        return key not in self.options


def plain(value: Any) -> Any:
    """`value` with SDK model objects (pydantic) turned into JSON dicts, as the SDKs send them."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        exclude = getattr(value, "__api_exclude__", None)
        return plain(dump(mode="json", by_alias=True, exclude_unset=True, exclude=exclude))
    return value


def exchange(
    engine: Engine, wire: str, shape: Shape, kwargs: Mapping[str, Any], *, loop: bool
) -> Call:
    """One call through Headroom: prepare, send, and (with `loop`) answer retrieve calls.

    Without `loop` (streaming), the request goes compressed but gets no tool,
    since nothing would answer a call to it. The prepared body is committed
    (frozen history, session progress) once the first call has returned.
    """
    body, rest = shape.split(kwargs)
    given = frozenset(body)
    prepared = engine.prepare(wire, body)
    sent = body if prepared is None else prepared.body
    looping = loop and prepared is not None and engine.rounds > 0 and supports(wire)
    if looping:
        sent = add_tool(engine.pending.restore(sent, wire), wire)
    response = yield shape.join(rest, sent, given)
    if prepared is not None:
        prepared.commit()
    if not looping:
        return response
    return (yield from _rounds(engine, wire, shape, (rest, given), sent, response))


def _rounds(
    engine: Engine,
    wire: str,
    shape: Shape,
    call: tuple[dict[str, Any], frozenset[str]],
    body: JSONObject,
    response: Any,
) -> Call:
    """Answer turns that call only the retrieve tool; return what the caller sees."""
    rest, given = call
    turn = shape.to_json(response)
    shown: JSONObject | None = None
    for _ in range(engine.rounds):
        if not is_only_retrieve(turn, wire):
            break
        answers = answer_all(find_calls(turn, wire), engine.answer)
        body = continuation(body, turn, answers, wire)
        response = yield shape.join(rest, body, given)
        shown = turn if shown is None else merge_responses(shown, turn, wire)
        turn = shape.to_json(response)
    visible = _without_tool(engine.pending.hide(turn, wire, engine.answer))
    if shown is None and visible == turn:
        return response
    final = visible if shown is None else merge_responses(shown, visible, wire)
    return shape.from_json(response, final)


def _without_tool(response: JSONObject) -> JSONObject:
    """The response without the tool in its echo of the request's `tools` (Responses API)."""
    tools = response.get("tools")
    if not isinstance(tools, list) or not any(tool_name(tool) == TOOL_NAME for tool in tools):
        return response
    return {**response, "tools": [tool for tool in tools if tool_name(tool) != TOOL_NAME]}


def call_sync(call: Call, send: Callable[..., Any]) -> Any:
    """Drive `call`, making each call with `send(**kwargs)`."""
    try:
        done, value = _step(call, None)
        while not done:
            done, value = _step(call, send(**value))
        return value
    finally:
        call.close()


async def call_async(call: Call, send: Callable[..., Awaitable[Any]]) -> Any:
    """Drive `call` with an async `send`; Headroom's own work runs in a worker thread."""
    try:
        done, value = await anyio.to_thread.run_sync(_step, call, None)
        while not done:
            result = await send(**value)
            done, value = await anyio.to_thread.run_sync(_step, call, result)
        return value
    finally:
        call.close()


def _step(call: Call, value: Any) -> tuple[bool, Any]:
    """(False, next kwargs) or (True, the final result): StopIteration cannot cross threads."""
    try:
        return False, call.send(value)
    except StopIteration as stop:
        return True, stop.value
