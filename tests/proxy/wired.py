"""The proxy as `headroom proxy` runs it (`default_app`), served for real in tests.

`serve_default(up, runtime)` serves `default_app` (retrieve loop, ledger,
/stats, /metrics) on a free loopback port, forwarding every provider to the
fake upstream `up`. The compressible tool output and the helpers that read
what the upstream received are shared by the end-to-end tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from headroom.ccr import marker_ids
from headroom.config import load_settings
from headroom.proxy.defaults import default_app
from headroom.proxy.routes import Upstreams
from headroom.runtime import Runtime
from headroom.testing import FakeUpstream, RecordedRequest
from tests.proxy.conftest import TEST_BUDGET_MS, Served


@contextmanager
def serve_default(up: FakeUpstream, runtime: Runtime, **overrides: Any) -> Iterator[Served]:
    """`default_app` with these setting overrides, served until the block ends."""
    settings = load_settings(store="memory", pipeline_budget_ms=TEST_BUDGET_MS, **overrides)
    upstreams = Upstreams(anthropic=up.url, openai=up.url, gemini=up.url)
    with Served(default_app(settings, runtime=runtime, upstreams=upstreams)) as served:
        yield served


def marker_id(request: RecordedRequest) -> str:
    """The one CCR id in the markers of what the upstream received."""
    ids = set(marker_ids(request.content().decode()))
    assert len(ids) == 1, ids
    return ids.pop()


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    """Tool names in any of the three wire formats."""
    return [tool.get("name") or tool["function"]["name"] for tool in tools]
