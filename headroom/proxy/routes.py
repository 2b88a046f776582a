"""Which upstream a request goes to, and whether the proxy may compress it.

Clients point one base URL at the proxy for all three providers, so the route
is decided from the request alone: a handful of model endpoints are known by
method and path (these are parsed and compressed); everything else is
forwarded untouched to the provider the path or the credential headers name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Provider(StrEnum):
    """An upstream API, independent of which of its wire formats is used."""

    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    GEMINI = "gemini"


class Kind(StrEnum):
    """What the proxy does with a request."""

    #: A model call: parsed, compressed, forwarded, its response relayed.
    MODEL = "model"
    #: Anthropic's token counter: compressed like a model call, answered upstream.
    COUNT_TOKENS = "count_tokens"
    #: Anything else: forwarded as it came.
    PASSTHROUGH = "passthrough"


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Base URLs of the providers (scheme and host, no `/v1`)."""

    anthropic: str = "https://api.anthropic.com"
    openai: str = "https://api.openai.com"
    gemini: str = "https://generativelanguage.googleapis.com"

    def base(self, provider: Provider) -> str:
        url: str = getattr(self, provider.value)
        return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class Route:
    """Where one request goes and how it is handled."""

    provider: Provider
    kind: Kind
    #: The adapter name for the body's wire format (see `headroom.providers`);
    #: None for passthrough routes.
    wire: str | None = None
    #: True when the route itself says the response streams (Gemini's
    #: `:streamGenerateContent`); other wire formats say so in the body.
    streams: bool = False


_MODEL_ROUTES: dict[str, Route] = {
    "/v1/messages": Route(Provider.ANTHROPIC, Kind.MODEL, "anthropic"),
    "/v1/messages/count_tokens": Route(Provider.ANTHROPIC, Kind.COUNT_TOKENS, "anthropic"),
    "/v1/chat/completions": Route(Provider.OPENAI, Kind.MODEL, "openai-chat"),
    "/v1/responses": Route(Provider.OPENAI, Kind.MODEL, "openai-responses"),
}
_GEMINI_MODEL = re.compile(
    r"^/v1(?:beta|alpha)?/models/[^/:]+:(generateContent|streamGenerateContent)$"
)
_GEMINI_PREFIXES = ("/v1beta/", "/v1alpha/", "/upload/v1beta/")


def classify(method: str, path: str, headers: Mapping[str, str]) -> Route:
    """The route for a request; `headers` must have lower-case names."""
    if method == "POST":
        route = _MODEL_ROUTES.get(path)
        if route is not None:
            return route
        match = _GEMINI_MODEL.match(path)
        if match is not None:
            streams = match.group(1) == "streamGenerateContent"
            return Route(Provider.GEMINI, Kind.MODEL, "gemini", streams=streams)
    return Route(_provider_of(path, headers), Kind.PASSTHROUGH)


def _provider_of(path: str, headers: Mapping[str, str]) -> Provider:
    if path.startswith(_GEMINI_PREFIXES) or "x-goog-api-key" in headers:
        return Provider.GEMINI
    if path.startswith("/v1/messages") or "x-api-key" in headers:
        return Provider.ANTHROPIC
    if "anthropic-version" in headers or "anthropic-beta" in headers:
        return Provider.ANTHROPIC
    return Provider.OPENAI
