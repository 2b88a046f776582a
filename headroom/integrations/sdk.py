"""`with_headroom(client)`: the Anthropic and OpenAI SDK clients, compressed in-process.

For apps that call a provider SDK directly and want Headroom without running
the proxy. The wrapper is a thin stand-in for the client: every attribute
passes through to it, except the create calls of the resources Headroom
knows, which go through `headroom.integrations.call.exchange` (the proxy's
request path and retrieve loop):

| client | resources |
|---|---|
| `anthropic.Anthropic`, `anthropic.AsyncAnthropic` | `messages`, `beta.messages` |
| `openai.OpenAI`, `openai.AsyncOpenAI` (Azure too) | `chat.completions`, `responses` |

- `create(...)` (not streamed): compressed, with the `headroom_retrieve` tool
  added; while the model's turn calls only that tool, it is answered from the
  store and the model is called again (up to `retrieve_rounds`). The caller
  gets one response of the SDK's own type, with every round's visible output
  and their usage summed, and never sees the tool. A retrieve call beside the
  caller's own tool calls is answered and hidden, and put back into the
  history when the caller sends that turn again.
- `create(..., stream=True)` and `.stream(...)`: compressed, without the tool
  (nothing would answer it), streamed by the SDK as usual.
- Everything else (`with_raw_response`, `parse`, `count_tokens`, other
  resources) passes through untouched.

Headroom adds body keys the caller did not pass (the tool list, OpenAI's
`prompt_cache_key`) through `extra_body`, so any SDK version accepts them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast

from headroom.integrations.call import Engine, Shape, call_async, call_sync, exchange
from headroom.types import JSONObject

__all__ = ["with_headroom"]

C = TypeVar("C")

#: Resource paths on each SDK's client → the wire format they speak.
_ANTHROPIC: Mapping[tuple[str, ...], str] = {
    ("messages",): "anthropic",
    ("beta", "messages"): "anthropic",
}
_OPENAI: Mapping[tuple[str, ...], str] = {
    ("chat", "completions"): "openai-chat",
    ("responses",): "openai-responses",
}
#: Client methods that return a new client, which stays wrapped.
_COPIES = frozenset({"with_options", "copy"})


def _to_json(response: Any) -> JSONObject:
    data: JSONObject = response.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return data


def _from_json(response: Any, data: JSONObject) -> Any:
    # The SDKs' models build nested types from plain JSON in `construct`.
    return type(response).construct(**data)


#: The SDKs' create methods: every keyword is a body field except these.
SDK_SHAPE = Shape(
    to_json=_to_json,
    from_json=_from_json,
    options=frozenset({"extra_headers", "extra_query", "extra_body", "timeout", "betas"}),
    extra="extra_body",
)


def with_headroom(client: C, **options: Any) -> C:
    """`client` with its model calls compressed and retrieve calls answered (see the module doc).

    `client` is an `anthropic.Anthropic`, `anthropic.AsyncAnthropic`,
    `openai.OpenAI` or `openai.AsyncOpenAI` (or a subclass). `options` are
    Headroom settings for these calls, e.g. `store="memory"`,
    `retrieve_rounds=0`. The result stands in for the client and is typed as it.
    """
    routes, is_async = _routes(client)
    base_url = getattr(client, "base_url", None)
    engine = Engine.build(str(base_url) if base_url is not None else None, **options)
    wrapped = _Namespace(client, engine, routes, is_async=is_async)
    return cast(C, wrapped)


def _routes(client: object) -> tuple[Mapping[tuple[str, ...], str], bool]:
    """The client's resource routes and whether it is async; TypeError for other objects."""
    families = {cls.__module__.partition(".")[0] for cls in type(client).__mro__}
    if "anthropic" in families:
        import anthropic

        if isinstance(client, anthropic.Anthropic | anthropic.AsyncAnthropic):
            return _ANTHROPIC, isinstance(client, anthropic.AsyncAnthropic)
    if "openai" in families:
        import openai

        if isinstance(client, openai.OpenAI | openai.AsyncOpenAI):
            return _OPENAI, isinstance(client, openai.AsyncOpenAI)
    raise TypeError(
        f"with_headroom() takes an anthropic.Anthropic, anthropic.AsyncAnthropic, openai.OpenAI "
        f"or openai.AsyncOpenAI client, not {type(client).__name__}; for other clients, point "
        f"their base URL at `headroom proxy`"
    )


class _Namespace:
    """A client, or a part of one on the way to a resource, seen through Headroom."""

    def __init__(
        self,
        target: Any,
        engine: Engine,
        routes: Mapping[tuple[str, ...], str],
        *,
        is_async: bool,
        path: tuple[str, ...] = (),
    ) -> None:
        self._target = target
        self._engine = engine
        self._routes = routes
        self._is_async = is_async
        self._path = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._target, name)
        path = (*self._path, name)
        wire = self._routes.get(path)
        if wire is not None:
            resource = _AsyncResource if self._is_async else _SyncResource
            return resource(value, self._engine, wire)
        if any(route[: len(path)] == path for route in self._routes):
            return self._child(value, path)
        if not self._path and name in _COPIES and callable(value):
            return functools.partial(self._copied, value)
        return value

    def _child(self, target: Any, path: tuple[str, ...]) -> _Namespace:
        return _Namespace(target, self._engine, self._routes, is_async=self._is_async, path=path)

    def _copied(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> _Namespace:
        return self._child(method(*args, **kwargs), self._path)

    def __enter__(self) -> _Namespace:
        self._target.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._target.__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> _Namespace:
        await self._target.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._target.__aexit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"with_headroom({self._target!r})"


class _Resource:
    """One SDK resource (`messages`, `chat.completions`, `responses`); the rest passes through."""

    def __init__(self, resource: Any, engine: Engine, wire: str) -> None:
        self._resource = resource
        self._engine = engine
        self._wire = wire

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._resource, name)

    def stream(self, **kwargs: Any) -> Any:
        """The SDK's stream helper, on the compressed request (no retrieve loop)."""
        call = exchange(self._engine, self._wire, SDK_SHAPE, kwargs, loop=False)
        return call_sync(call, self._resource.stream)

    def _call(self, kwargs: Mapping[str, Any]) -> Any:
        loop = not kwargs.get("stream")
        return exchange(self._engine, self._wire, SDK_SHAPE, kwargs, loop=loop)


class _SyncResource(_Resource):
    def create(self, **kwargs: Any) -> Any:
        """The SDK's create, compressed, with retrieve calls answered when not streamed."""
        return call_sync(self._call(kwargs), self._resource.create)


class _AsyncResource(_Resource):
    async def create(self, **kwargs: Any) -> Any:
        """The SDK's create, compressed, with retrieve calls answered when not streamed."""
        return await call_async(self._call(kwargs), self._resource.create)
