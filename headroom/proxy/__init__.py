"""The local proxy: `headroom proxy` on 127.0.0.1:8787.

Agents point their base URL here (Anthropic, OpenAI and Gemini wire formats)
and change nothing else. Model requests are compressed on a time budget and
forwarded; everything else is forwarded untouched; responses are relayed as
they arrive. See `app` (the app factory), `handlers` (one request, top to
bottom), `hooks` (where the retrieve loop and the ledger plug in), `defaults`
(`default_app`, what `headroom proxy` runs: both plugged in, with /stats and
/metrics) and `server` (running it).
"""

from __future__ import annotations

from headroom.proxy.app import create_app, loopback_only
from headroom.proxy.defaults import default_app
from headroom.proxy.hooks import Exchange, ProxyHooks
from headroom.proxy.routes import Upstreams

__all__ = ["Exchange", "ProxyHooks", "Upstreams", "create_app", "default_app", "loopback_only"]
