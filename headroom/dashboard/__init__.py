"""The savings dashboard the proxy serves at `/dashboard` (loopback clients only).

One HTML page, one script and one stylesheet, shipped in this package and
served by the proxy itself, so the dashboard works offline: no CDN, no build
step, no framework. The page polls `/stats` (the ledger summary) and the two
JSON endpoints here that `/stats` lacks (per-session savings from the recent
ledger entries, and the learner's table), and opens a request's decision log
from `GET /v1/requests/{id}?originals=1`. Everything it shows comes through the
ledger and store APIs, so it can never disagree with `/stats`.

The routes are in `headroom.dashboard.routes`; `headroom.proxy.defaults`
mounts them. This module imports nothing, since the proxy package imports the
dashboard while the dashboard's routes import the proxy's ledger.
"""
