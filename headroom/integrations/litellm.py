"""LiteLLM: Headroom as a LiteLLM callback, and around `litellm.completion`.

`pip install 'headroom[litellm]'`. What LiteLLM 1.106 calls, and so what is here:

- **The LiteLLM proxy** calls `async_pre_call_hook` on every request before
  routing it. `HeadroomLiteLLM` compresses the request there: chat
  completions (`messages`), Anthropic `/v1/messages` (`messages`, `system`)
  and Responses (`input`), through `headroom.prepare` as the Headroom proxy
  does (frozen history, cache planner, Anthropic breakpoints). Register it in
  the proxy's `config.yaml` as `headroom.integrations.litellm.proxy_handler_instance`.
- **The SDK's async path** (`litellm.acompletion`, `litellm.Router`) calls
  `async_pre_call_deployment_hook` of every `CustomLogger` in
  `litellm.callbacks` just before the request goes out: the handler
  compresses there too. The LiteLLM proxy calls both hooks for one request, so
  messages the first hook produced are recognized and left alone.
- **Sync `litellm.completion`** calls no hook that may change a request (only
  logging hooks, after the body is built): use `completion()` from here, a
  drop-in that also answers retrieve calls (`acompletion()` likewise).

The callback adds no `headroom_retrieve` tool, since nothing on LiteLLM's
side would answer it; markers still name the id, and the MCP server
(`headroom mcp serve`) gives a model the tool. `completion()` runs the same
retrieve loop as `with_headroom` and returns a `litellm.ModelResponse`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import anyio.to_thread
import litellm
import orjson
from litellm.integrations.custom_logger import CustomLogger

from headroom.integrations.call import Engine, Shape, call_async, call_sync, exchange, plain
from headroom.types import JSONObject

__all__ = ["HeadroomLiteLLM", "acompletion", "completion", "proxy_handler_instance"]

#: LiteLLM call types → (wire format, the key holding the conversation).
_CALLS: Mapping[str, tuple[str, str]] = {
    "completion": ("openai-chat", "messages"),
    "acompletion": ("openai-chat", "messages"),
    "anthropic_messages": ("anthropic", "messages"),
    "aanthropic_messages": ("anthropic", "messages"),
    "responses": ("openai-responses", "input"),
    "aresponses": ("openai-responses", "input"),
}
#: How many compressed conversations the handler remembers (see `_Seen`).
_SEEN_SIZE = 1024


def _to_json(response: Any) -> JSONObject:
    data: JSONObject = response.model_dump(mode="json", exclude_unset=True)
    return data


def _from_json(response: Any, data: JSONObject) -> Any:
    return litellm.ModelResponse(**data)


#: A LiteLLM request: the conversation keys are the body; everything else
#: (keys, routing, litellm options) stays out of Headroom's hands.
_HOOK_SHAPE = Shape(
    to_json=_to_json,
    from_json=_from_json,
    body_keys=frozenset({"model", "messages", "input", "system", "instructions", "tools"}),
)
_COMPLETION_SHAPE = Shape(
    to_json=_to_json,
    from_json=_from_json,
    body_keys=frozenset({"model", "messages", "tools"}),
)


class HeadroomLiteLLM(CustomLogger):
    """Compresses LiteLLM requests (see the module doc). `options` are Headroom settings."""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = options
        self._seen = _Seen(_SEEN_SIZE)

    async def async_pre_call_hook(
        self,
        user_api_key_dict: Any,
        cache: Any,
        data: dict[str, Any],
        call_type: Any,
    ) -> dict[str, Any] | None:
        """The LiteLLM proxy's hook: `data` with its conversation compressed."""
        compressed = await anyio.to_thread.run_sync(self.compress_request, data, call_type)
        result = data if compressed is None else compressed
        self._seen.add(result, call_type)
        return result

    async def async_pre_call_deployment_hook(
        self, kwargs: dict[str, Any], call_type: Any
    ) -> dict[str, Any] | None:
        """The SDK's hook (`acompletion`, Router): compressed kwargs, or None to keep them."""
        if self._seen.has(kwargs, call_type):
            return None
        return await anyio.to_thread.run_sync(self.compress_request, kwargs, call_type)

    def compress_request(self, data: Mapping[str, Any], call_type: Any) -> dict[str, Any] | None:
        """`data` with its conversation prepared as the proxy would; None when not a model call."""
        wire = _wire(call_type)
        if wire is None or not isinstance(data.get(wire[1]), list):
            return None
        engine = Engine.build(**self.options)
        body, rest = _HOOK_SHAPE.split(data)
        prepared = engine.prepare(wire[0], body)
        if prepared is None or not prepared.changed:
            return None
        prepared.commit()
        return _HOOK_SHAPE.join(rest, prepared.body, frozenset(body))


def completion(**kwargs: Any) -> Any:
    """`litellm.completion`, compressed, with retrieve calls answered (not when streamed)."""
    call = exchange(
        Engine.build(), "openai-chat", _COMPLETION_SHAPE, kwargs, loop=not kwargs.get("stream")
    )
    return call_sync(call, litellm.completion)


async def acompletion(**kwargs: Any) -> Any:
    """`litellm.acompletion`, compressed, with retrieve calls answered (not when streamed)."""
    call = exchange(
        Engine.build(), "openai-chat", _COMPLETION_SHAPE, kwargs, loop=not kwargs.get("stream")
    )
    return await call_async(call, litellm.acompletion)


def _wire(call_type: Any) -> tuple[str, str] | None:
    name = getattr(call_type, "value", call_type)
    return _CALLS.get(name) if isinstance(name, str) else None


class _Seen:
    """Fingerprints of conversations the proxy hook produced, so the deployment hook skips them.

    Compressing twice would not lose anything, but it would cost time and
    could cut an already-cut output again.
    """

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[bytes, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, data: Mapping[str, Any], call_type: Any) -> None:
        key = _fingerprint(data, call_type)
        if key is None:
            return
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)

    def has(self, data: Mapping[str, Any], call_type: Any) -> bool:
        key = _fingerprint(data, call_type)
        with self._lock:
            return key is not None and key in self._keys


def _fingerprint(data: Mapping[str, Any], call_type: Any) -> bytes | None:
    wire = _wire(call_type)
    if wire is None:
        return None
    conversation = orjson.dumps(plain(data.get(wire[1])), default=str)
    return hashlib.blake2b(conversation, digest_size=16).digest()


#: The instance a LiteLLM proxy config names:
#: `litellm_settings: {callbacks: headroom.integrations.litellm.proxy_handler_instance}`.
proxy_handler_instance = HeadroomLiteLLM()
