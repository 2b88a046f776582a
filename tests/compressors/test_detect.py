"""Content-kind detection, from the content and from the tool call."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import pytest

from headroom.compressors.detect import (
    SAMPLE_LINES,
    detect_kind,
    is_json,
    kind_from_origin,
    language_of,
)
from headroom.compressors.origins import kind_of_command
from headroom.types import Origin
from tests.conftest import CORPUS

KINDS = frozenset({"json", "diff", "search", "logs", "html", "code", "shell", "text"})

SAMPLES: dict[str, list[str]] = {
    "json": [
        '{"user": {"id": 7, "name": "ada"}, "roles": ["admin", "ops"]}',
        '[\n  {"id": 1, "ok": true},\n  {"id": 2, "ok": false}\n]\n',
        '{"event": "start", "n": 1}\n{"event": "tick", "n": 2}\n{"event": "stop", "n": 3}\n',
        # cut off mid-document, as an agent's tool output often is
        '{\n  "items": [\n    {\n      "sku": "A-1",\n      "qty": 3,\n      "tags": [\n',
    ],
    "diff": [
        "diff --git a/app/main.py b/app/main.py\n"
        "index 3f2a1b0..9c8d7e6 100644\n--- a/app/main.py\n+++ b/app/main.py\n"
        "@@ -10,7 +10,7 @@ def serve(port):\n     app = build()\n-    app.run(port)\n"
        "+    app.run(port, threaded=True)\n     return app\n",
        "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
        "From: Dev <dev@example.org>\nSubject: [PATCH] Fix overflow\n\n---\n"
        " src/buf.c | 2 +-\n\ndiff --git a/src/buf.c b/src/buf.c\n",
        "Some notes before the patch.\n--- old/config.ini\n+++ new/config.ini\n"
        "@@ -1,4 +1,4 @@\n [server]\n-port = 80\n+port = 8080\n host = 0.0.0.0\n",
    ],
    "search": [
        "src/api/users.py:42:def get_user(user_id):\n"
        "src/api/users.py:88:    user = get_user(request.user_id)\n"
        "tests/test_users.py:12:    assert get_user(1).name == 'ada'\n",
        "lib/cache.go-40-\tmu.Lock()\nlib/cache.go:41:\tdefer mu.Unlock()\n"
        "lib/cache.go-42-\treturn c\n"
        "--\nlib/store.go-9-func open() {\nlib/store.go:10:\tdefer mu.Unlock()\n",
        "web/app.ts\n14:  const timeout = 30;\n88:  retry(timeout);\n\n"
        "web/net/http.ts\n3:export const timeout = 5;\n",
        "src/index.ts\nsrc/lib/parse.ts\nsrc/lib/format.ts\ntests/parse.test.ts\nREADME.md\n",
    ],
    "logs": [
        "2024-03-01 12:00:01,120 INFO  [main] server.Bootstrap - starting on :8080\n"
        "2024-03-01 12:00:01,482 WARN  [pool-2] db.Pool - slow connection (812 ms)\n"
        "2024-03-01 12:00:02,003 ERROR [pool-2] db.Pool - connection refused\n"
        "\tat db.Pool.open(Pool.java:88)\n"
        "2024-03-01 12:00:03,010 INFO  [main] server.Bootstrap - ready\n",
        "Mar  3 09:14:02 gw kernel: eth0: link up\nMar  3 09:14:05 gw sshd[411]: Accepted key\n"
        "Mar  3 09:15:44 gw cron[52]: (root) CMD (backup.sh)\n",
        "[Tue Mar 05 10:22:31 2024] [error] [client 10.0.0.5] File does not exist: /srv/x\n"
        "[Tue Mar 05 10:22:35 2024] [notice] child 3312 started\n"
        "[Tue Mar 05 10:23:01 2024] [error] [client 10.0.0.9] File does not exist: /srv/y\n",
        "INFO: loading model\nWARNING: cache miss for key 42\n"
        "ERROR: worker 3 exited\nINFO: shutting down\n",
    ],
    "html": [
        "<!DOCTYPE html>\n<html lang='en'><head><title>Release notes</title></head>\n"
        "<body></body></html>",
        "\n  <html>\n<body><p>Hello</p></body></html>",
        "<div class='post'>\n"
        + "<p>Paragraph with <a href='/x'>a link</a> and <em>emphasis</em>.</p>\n" * 12
        + "</div>\n",
    ],
    "shell": [
        "============================= test session starts ==============================\n"
        "platform linux -- Python 3.12.1, pytest-8.0.0\ncollected 3 items\n\n"
        "tests/test_math.py .F.                                                   [100%]\n\n"
        "=================================== FAILURES ===================================\n"
        "_________________________________ test_divide __________________________________\n"
        "    def test_divide():\n>       assert divide(1, 0) == 0\n"
        "E       ZeroDivisionError: division by zero\n\n"
        "tests/test_math.py:9: ZeroDivisionError\n"
        "=========================== 1 failed, 2 passed in 0.04s ===========================\n",
        "=== RUN   TestParse\n--- PASS: TestParse (0.00s)\n=== RUN   TestFormat\n"
        "    format_test.go:21: got 3, want 4\n--- FAIL: TestFormat (0.00s)\nFAIL\n"
        "FAIL\texample.com/fmt\t0.012s\n",
        "error[E0308]: mismatched types\n --> src/main.rs:4:18\n  |\n"
        '4 |     let n: u32 = "five";\n  |            ---   ^^^^^^ expected `u32`, found `&str`\n'
        "  |\n\nerror: aborting due to 1 previous error\n",
        'app/models.py:12: error: Incompatible return value type (got "int", expected "str")\n'
        'app/views.py:40: error: Name "reqest" is not defined\n'
        "Found 2 errors in 2 files (checked 14 source files)\n",
    ],
    "code": [
        "import os\nfrom pathlib import Path\n\n\nclass Loader:\n"
        "    def __init__(self, root):\n        self.root = Path(root)\n\n"
        "    def load(self, name):\n        path = self.root / name\n"
        "        if not path.exists():\n            raise FileNotFoundError(name)\n"
        "        return path.read_text()\n",
        'package cache\n\nimport "sync"\n\ntype Cache struct {\n\tmu    sync.Mutex\n'
        "\titems map[string]string\n}\n\nfunc (c *Cache) Get(k string) string {\n"
        "\tc.mu.Lock()\n\tdefer c.mu.Unlock()\n\treturn c.items[k]\n}\n",
        "use std::collections::HashMap;\n\npub fn count(words: &[&str]) -> HashMap<&str, usize> {\n"
        "    let mut out = HashMap::new();\n    for w in words {\n"
        "        *out.entry(*w).or_insert(0) += 1;\n    }\n    out\n}\n",
        "#include <stdio.h>\n\nstatic int square(int x) {\n    return x * x;\n}\n\n"
        'int main(void) {\n    printf("%d\\n", square(4));\n    return 0;\n}\n',
        "const express = require('express');\nconst app = express();\n\n"
        "app.get('/health', (req, res) => {\n  res.json({ ok: true });\n});\n\n"
        "module.exports = app;\n",
    ],
    "text": [
        "The release moves the scheduler to a new queue. Jobs that were waiting when the\n"
        "upgrade starts are kept, and they run in the order they were submitted. If you\n"
        "pinned workers to a queue by name, update the name in your settings before you\n"
        "restart, because the old name is no longer accepted by the service.\n",
        "# Getting started\n\nInstall the package with your usual tool and run the setup\n"
        "command once. It writes a small config file in your home folder, which you can\n"
        "edit later if you want to change where data is kept or which port is used.\n",
        "hello",
    ],
}


@pytest.mark.parametrize(
    ("kind", "text"),
    [(kind, text) for kind, texts in SAMPLES.items() for text in texts],
)
def test_hand_written_samples_are_detected_as_their_kind(kind: str, text: str) -> None:
    assert detect_kind(text) == kind


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_empty_or_blank_text_is_text(text: str) -> None:
    assert detect_kind(text) == "text"


def test_text_that_opens_like_json_but_is_not_json_falls_through() -> None:
    log = "[10.30 16:49:06] app.exe - open through proxy\n" * 3
    assert not is_json(log)
    assert detect_kind(log) == "logs"
    assert detect_kind("[tool.ruff]\nline-length = 100\n") != "json"


def test_only_a_bounded_sample_is_read() -> None:
    head = "2024-03-01 12:00:01 INFO request served in 3 ms\n" * SAMPLE_LINES
    tail = "def f():\n    return 1\n" * 10_000
    assert detect_kind(head + tail) == "logs"


def test_ansi_colours_do_not_hide_test_output() -> None:
    text = "\x1b[32m=== RUN   TestA\x1b[0m\n\x1b[32m--- PASS: TestA (0.00s)\x1b[0m\nok\tpkg\t0.1s\n"
    assert detect_kind(text) == "shell"


def test_detection_never_raises_on_odd_input() -> None:
    odd = ["\x00" * 1000, "{" * 100_000, "[" + '"' * 50_000, "a" * 300_000, "\r" * 1000]
    odd += ['{"a": "\ud800"}', "\udcff log line\n" * 3]
    for text in odd:
        assert detect_kind(text) in KINDS


# ---------------------------------------------------------------- from the tool call


def origin(tool: str | None, file_path: str | None = None, **tool_input: Any) -> Origin:
    return Origin(tool_name=tool, tool_input=tool_input or None, file_path=file_path)


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        (origin("Read", file_path="/repo/app/main.py"), "code"),
        (origin("read_file", path="src/index.ts"), "code"),
        (origin("view", file_path="cmd/root.go"), "code"),
        (origin("Read", file_path="data/users.json"), "json"),
        (origin("Read", file_path="out/events.jsonl"), "json"),
        (origin("Read", file_path="/var/log/app.log"), "logs"),
        (origin("Read", file_path="docs/page.html"), "html"),
        (origin("Read", file_path="README.md"), "text"),
        (origin("Read", file_path="notes.txt"), "text"),
        (origin("Read", file_path="fix.patch"), "diff"),
        (origin("Read", file_path="deploy.yaml"), None),
        (origin("READ", file_path="x.rs"), "code"),
        (origin("mcp__filesystem__read_file", path="lib/a.rb"), "code"),
        (origin("str_replace_based_edit_tool", command="view", path="a/b.kt"), "code"),
        (origin("str_replace_based_edit_tool", command="create", path="a/b.kt"), None),
        (origin("Grep", pattern="TODO"), "search"),
        (origin("grep"), "search"),
        (origin("Glob", pattern="**/*.py"), "search"),
        (origin("search"), "search"),
        (origin("WebFetch", url="https://example.org"), "html"),
        (origin("browser"), "html"),
        (origin("Bash", command="git diff HEAD~1"), "diff"),
        (origin("bash", command="git -C repo --no-pager show abc123"), "diff"),
        (origin("Bash", command="git log -p -3"), "diff"),
        (origin("Bash", command="git log --oneline"), None),
        (origin("Bash", command="rg -n 'def main' src"), "search"),
        (origin("shell", command="find . -name '*.go'"), "search"),
        (origin("Bash", command="ls -laR /etc"), "search"),
        (origin("Bash", command="ls -la"), None),
        (origin("Bash", command="cd repo && python -m pytest -x tests"), "shell"),
        (origin("Bash", command="go test ./..."), "shell"),
        (origin("Bash", command="cargo clippy --all-targets"), "shell"),
        (origin("Bash", command="npm test"), "shell"),
        (origin("Bash", command="make -j8"), "shell"),
        (origin("Bash", command="uv run mypy headroom"), "shell"),
        (origin("Bash", command="cat src/app.py"), "code"),
        (origin("Bash", command="sed -n '1,80p' src/app.py"), "code"),
        (origin("Bash", command="curl -s https://api.example.org/v1/items"), None),
        (origin("Bash", command="kubectl logs deploy/web --tail=200 | grep ERROR"), "logs"),
        (origin("Bash", command="journalctl -u nginx"), "logs"),
        (origin("Bash", command="docker logs web"), "logs"),
        (origin("Bash", command="tail -n 100 /var/log/syslog"), "logs"),
        (origin("exec", cmd=["bash", "-lc", "git diff --stat && git diff"]), "diff"),
        (origin("exec", cmd=["pytest", "-q"]), "shell"),
        (origin("Bash", command="echo 'unbalanced"), None),
        (origin("Bash"), None),
        (origin(None, file_path="lib/util.c"), "code"),
        (origin("SomeMcpTool", pattern="needle"), "search"),
        (origin("Write", file_path="x.py"), None),
        (origin(None), None),
    ],
)
def test_kind_from_origin(call: Origin, kind: str | None) -> None:
    assert kind_from_origin(call) == kind


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("FOO=1 sudo pytest", "shell"),
        ("git show HEAD:README.md", "diff"),
        ("git grep -n TODO", "search"),
        ("cat a.json | jq .items", "json"),
        ("tsc --noEmit", "shell"),
        ("ruff check .", "shell"),
        ("fd -e py", "search"),
        ("echo hi", None),
    ],
)
def test_kind_of_command(command: str, kind: str | None) -> None:
    assert kind_of_command(command) == kind


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b.py", "python"),
        ("x.JS", "javascript"),
        ("x.ts", "typescript"),
        ("x.tsx", "tsx"),
        ("x.go", "go"),
        ("x.rs", "rust"),
        ("X.java", "java"),
        ("x.c", "c"),
        ("x.hpp", "cpp"),
        ("x.cs", "csharp"),
        ("x.rb", "ruby"),
        ("x.php", "php"),
        ("x.kt", "kotlin"),
        ("C:\\src\\main.cpp", "cpp"),
        ("x.sh", None),
        ("Makefile", None),
        (".py", None),
        ("x.md", None),
    ],
)
def test_language_of(path: str, language: str | None) -> None:
    assert language_of(path) == language


# ---------------------------------------------------------------- the corpus

#: Measured accuracy floors per corpus type: the share of samples detected as
#: the expected kind. Agent traces are JSON / JSON-lines files, so "json" is
#: right for them. Shell misses: `go test -json` parses as JSON (2 samples),
#: `helm lint`'s `[INFO]`/`[ERROR]` lines read as logs and `docker info` as text.
ACCURACY_FLOORS: Mapping[str, tuple[str, float]] = {
    "json": ("json", 0.9),
    "logs": ("logs", 0.9),
    "diff": ("diff", 0.9),
    "html": ("html", 0.9),
    "code": ("code", 0.9),
    "search": ("search", 0.8),
    "shell": ("shell", 0.6),
    "text": ("text", 0.9),
    "agent_traces": ("json", 0.9),
}


@pytest.mark.corpus
def test_corpus_detection_accuracy_per_type() -> None:
    manifest = CORPUS / "manifest.jsonl"
    if not manifest.is_file():
        pytest.skip(f"corpus not found at {CORPUS} (needs ../shared/corpus)")
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for line in manifest.read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        text = (CORPUS / sample["path"]).read_text(encoding="utf-8")
        found[sample["type"]][detect_kind(text)] += 1
    table = "\n".join(f"{kind:13} {dict(counts)}" for kind, counts in sorted(found.items()))
    print("\n" + table)
    for corpus_type, counts in found.items():
        expected, floor = ACCURACY_FLOORS[corpus_type]
        accuracy = counts[expected] / sum(counts.values())
        assert accuracy >= floor, f"{corpus_type}: {accuracy:.0%} < {floor:.0%}\n{table}"


def test_rg_json_event_streams_are_search_results() -> None:
    lines = [
        '{"type":"begin","data":{"path":{"text":"src/app.py"}}}',
        '{"type":"match","data":{"path":{"text":"src/app.py"},"lines":{"text":"x = 1\\n"},'
        '"line_number":3,"absolute_offset":10,"submatches":[]}}',
        '{"type":"end","data":{"path":{"text":"src/app.py"},"binary_offset":null,"stats":{}}}',
    ]
    assert detect_kind("\n".join(lines)) == "search"


def test_go_test_json_event_streams_are_test_output() -> None:
    lines = [
        '{"Time":"2026-11-20T10:00:00Z","Action":"run","Package":"example.com/x","Test":"TestA"}',
        '{"Time":"2026-11-20T10:00:01Z","Action":"pass","Package":"example.com/x","Test":"TestA"}',
    ]
    assert detect_kind("\n".join(lines)) == "shell"


def test_other_json_lines_stay_json() -> None:
    assert detect_kind('{"type":"begin","n":1}\n{"type":"end","n":2}') == "json"


def test_package_installs_are_build_output() -> None:
    assert kind_of_command("pip install -r requirements.txt") == "shell"
    assert kind_of_command("npm ci") == "shell"
