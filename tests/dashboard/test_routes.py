"""The dashboard's routes through a small Starlette app (and once through `default_app`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources

import httpx
import pytest
from starlette.applications import Starlette

from headroom.config import load_settings
from headroom.dashboard.routes import (
    ASSETS,
    NO_SESSION,
    learned_payload,
    routes,
    session_rows,
)
from headroom.learning import Learner, SignatureStats, learned_from
from headroom.providers.usage import Usage
from headroom.proxy.defaults import default_app
from headroom.proxy.ledger import Ledger, LedgerEntry
from headroom.proxy.metrics import Metrics
from headroom.proxy.routes import Upstreams
from headroom.proxy.stats_routes import routes as stats_routes
from headroom.runtime import build_runtime
from headroom.store import MemoryStore

LOCAL = ("127.0.0.1", 5000)
REMOTE = ("203.0.113.9", 40000)
TENANT = "t_00000000000000aa"


def _entry(session: str | None, saved: int, dollars: float | None, **extra: object) -> LedgerEntry:
    values: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude-sonnet-4-6",
        "tenant": TENANT,
        "session": session,
        "tokens_before": 1000,
        "tokens_after": 1000 - saved,
        "usage": Usage(input_tokens=10, output_tokens=1),
        "dollars": dollars,
        "dollars_without": None if dollars is None else dollars + saved / 1e6,
        **extra,
    }
    return LedgerEntry(**values)  # type: ignore[arg-type]


@pytest.fixture
def app() -> Iterator[Starlette]:
    store = MemoryStore()
    app = Starlette(routes=[*stats_routes(), *routes()])
    app.state.ledger = Ledger(store)
    app.state.metrics = Metrics()
    for entry in (
        _entry("s-1", 300, 0.002, time=100.0),
        _entry("s-2", 50, 0.001, time=200.0),
        _entry("s-1", 200, 0.003, time=300.0),
        _entry(None, 0, None, time=400.0),
        _entry("s-3", 900, 0.004, tenant="t_00000000000000bb"),
    ):
        app.state.ledger.record(entry)
    learner = Learner(store)
    for sig, compressed, retrieved in (("Bash|logs|-", 4, 2), ("Bash|json|ab12", 6, 0)):
        for _ in range(compressed):
            learner.compressed(sig)
        for _ in range(retrieved):
            learner.retrieved(sig, full=False)
    learner.compressed("Read|code|-")
    yield app
    store.close()


def get(app: Starlette, path: str, client: tuple[str, int] = LOCAL) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as http:
            return await http.get(path)

    return asyncio.run(call())


def test_the_page_is_html_never_cached_and_locked_to_this_origin(app: Starlette) -> None:
    response = get(app, "/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert 'data-testid="tokens-saved"' in response.text
    assert get(app, "/dashboard/").text == response.text


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("dashboard.js", "text/javascript; charset=utf-8"),
        ("dashboard.css", "text/css; charset=utf-8"),
    ],
)
def test_assets_come_with_their_content_type_and_no_cache(
    app: Starlette, name: str, content_type: str
) -> None:
    response = get(app, f"/dashboard/assets/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == _asset(name)


@pytest.mark.parametrize("name", ["dashboard.html", "routes.py", "__init__.py", "x.js"])
def test_only_the_listed_assets_are_served(app: Starlette, name: str) -> None:
    response = get(app, f"/dashboard/assets/{name}")
    assert response.status_code == 404
    assert "dashboard.js" in response.json()["error"]["message"]


@pytest.mark.parametrize("name", ["..%2Froutes.py", "..%2F..%2Fconfig.py", "%2E%2E/routes.py"])
def test_a_path_out_of_the_assets_folder_serves_nothing(app: Starlette, name: str) -> None:
    response = get(app, f"/dashboard/assets/{name}")
    assert response.status_code == 404
    assert b"import" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        "/dashboard/assets/dashboard.js",
        "/dashboard/api/sessions",
        "/dashboard/api/learned",
    ],
)
def test_every_dashboard_route_refuses_clients_off_loopback(app: Starlette, path: str) -> None:
    response = get(app, path, client=REMOTE)
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "forbidden"
    assert "s-1" not in response.text and "Bash" not in response.text
    assert get(app, path, client=("::1", 5000)).status_code == 200


def test_sessions_sum_the_recent_entries_per_session(app: Starlette) -> None:
    payload = get(app, "/dashboard/api/sessions").json()
    assert payload["window"] == 5
    rows = {row["session"]: row for row in payload["sessions"]}
    assert [row["session"] for row in payload["sessions"]] == ["s-3", "s-1", "s-2", NO_SESSION]
    assert rows["s-1"]["requests"] == 2 and rows["s-1"]["tokens_saved"] == 500
    assert rows["s-1"]["spent"] == 0.005 and rows["s-1"]["saved"] == 0.0005
    assert rows["s-1"]["last_seen"] == 300.0
    assert rows[NO_SESSION] == {
        "session": NO_SESSION,
        "requests": 1,
        "tokens_saved": 0,
        "spent": 0.0,
        "saved": 0.0,
        "last_seen": 400.0,
    }


def test_sessions_narrow_to_one_tenant(app: Starlette) -> None:
    payload = get(app, "/dashboard/api/sessions?tenant=t_00000000000000bb").json()
    assert payload["window"] == 1
    assert [row["session"] for row in payload["sessions"]] == ["s-3"]


def test_learned_lists_signatures_and_the_retrieval_rate_per_tool(app: Starlette) -> None:
    payload = get(app, "/dashboard/api/learned").json()
    assert payload["tools"] == [
        {"tool": "Bash", "compressed": 10, "retrieved": 2, "retrieval_rate": 0.2},
        {"tool": "Read", "compressed": 1, "retrieved": 0, "retrieval_rate": 0.0},
    ]
    first = payload["signatures"][0]
    assert first["signature"] == "Bash|logs|-"
    assert (first["compressed"], first["retrieved"], first["retrieval_rate"]) == (4, 2, 0.5)
    assert first["keep_factor"] == 2.5 and first["mode"] == "compress"
    assert {row["signature"] for row in payload["signatures"]} == {
        "Bash|logs|-",
        "Bash|json|ab12",
        "Read|code|-",
    }


def test_session_rows_skip_dollars_of_requests_without_a_receipt() -> None:
    rows = session_rows([_entry("s", 100, None), _entry("s", 100, 0.01)])
    assert rows == [
        {
            "session": "s",
            "requests": 2,
            "tokens_saved": 200,
            "spent": 0.01,
            "saved": 0.0001,
            "last_seen": rows[0]["last_seen"],
        }
    ]


def test_learned_payload_marks_lossless_only_signatures() -> None:
    stats = SignatureStats("Grep|search|-", 4, 4, 4, learned_from(4, 4, 4))
    (row,) = learned_payload([stats])["signatures"]
    assert row["mode"] == "lossless-only" and row["retrieval_rate"] == 1.0
    assert learned_payload([]) == {"signatures": [], "tools": []}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.testids: set[str] = set()
        self.inline_scripts = 0
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.links += [v for k, v in attrs if k in {"src", "href", "action"} and v is not None]
        if values.get("data-testid"):
            self.testids.add(str(values["data-testid"]))
        self.inline_scripts += tag == "script" and "src" not in values
        self.inline_styles += tag == "style" or "style" in values
        self.inline_scripts += any(k.startswith("on") for k in values)


def _asset(name: str) -> bytes:
    return resources.files("headroom.dashboard").joinpath("assets", name).read_bytes()


def _page() -> _Links:
    parser = _Links()
    parser.feed(_asset("dashboard.html").decode())
    return parser


def test_the_page_loads_only_its_own_assets_and_no_inline_code() -> None:
    page = _page()
    local = [link for link in page.links if not link.startswith("data:")]
    assert sorted(local) == [f"/dashboard/assets/{name}" for name in sorted(ASSETS)]
    assert page.inline_scripts == 0 and page.inline_styles == 0  # the CSP would block them


@pytest.mark.parametrize("name", ["dashboard.html", *ASSETS])
def test_no_file_of_the_page_names_an_outside_url(name: str) -> None:
    text = _asset(name).decode()
    urls = re.findall(r"https?://[^\s\"'`)<>]*", text, flags=re.IGNORECASE)
    local = re.compile(r"https?://(?:localhost|127\.0\.0\.1)(?:[:/]|$)", re.IGNORECASE)
    assert [u for u in urls if not local.match(u)] == []
    # Protocol-relative loads ("//cdn…") and CSS imports would reach out too.
    assert not re.search(r"""(?:src|href)\s*=\s*["']//|fetch\(\s*["'`]//""", text)
    assert "@import" not in text and "url(" not in text


def test_every_number_the_script_fills_in_has_a_place_on_the_page() -> None:
    script = _asset("dashboard.js").decode()
    used = set(re.findall(r'(?:show|byTestId)\("([\w-]+)"', script))
    assert {"tokens-saved", "dollars-saved", "cache-hit-rate", "requests"} <= used
    assert used - _page().testids == set()


def test_the_default_app_serves_the_dashboard_instead_of_forwarding_it(tmp_path: object) -> None:
    settings = load_settings(store="memory", home=str(tmp_path))
    dead = "http://127.0.0.1:9"  # anything forwarded would fail with a 502
    app = default_app(
        settings,
        runtime=build_runtime(settings),
        upstreams=Upstreams(anthropic=dead, openai=dead, gemini=dead),
    )
    page = get(app, "/dashboard")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert get(app, "/dashboard/assets/dashboard.css").status_code == 200
    assert get(app, "/dashboard/api/sessions").json() == {"window": 0, "sessions": []}
    assert get(app, "/dashboard/api/learned").json() == {"signatures": [], "tools": []}
