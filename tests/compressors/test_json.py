"""The JSON compressor: compact lossless view, query-aware cuts, markers, signature."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom.bench.corpus import load_corpus
from headroom.bench.runner import run, summarize
from headroom.ccr import ccr_id, marker_ids
from headroom.compressors.json import JsonCompressor, default_budget, signature
from headroom.compressors.json.scalars import estimate_tokens
from headroom.runtime import get_runtime
from headroom.types import CompressContext, Compressed
from tests.conftest import require_corpus

COMPRESSOR = JsonCompressor()


def compress(
    value: object, query: str | None = None, *, budget_tokens: int | None = None
) -> Compressed:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    result = COMPRESSOR.compress(text, CompressContext(query=query, budget_tokens=budget_tokens))
    assert result is not None
    return result


def rows(n: int, **extra: object) -> list[dict[str, object]]:
    return [
        {"id": i, "name": f"item-{i}", "status": "ok", "score": (i * 37) % 101, **extra}
        for i in range(n)
    ]


# ------------------------------------------------------------------ lossless


@pytest.mark.parametrize(
    "text",
    [
        *["", "   ", '{"a": 1', "[1, 2", "Result: {}", "42", '"just a string"', "null"],
        *["{} trailing", "{'a': 1}", '{"a": 1}\nnot json\n{"b": 2}'],
    ],
)
def test_malformed_or_scalar_json_is_left_to_the_text_path(text: str) -> None:
    assert COMPRESSOR.compress(text, CompressContext()) is None


def test_alike_records_become_a_table_with_the_header_once() -> None:
    out = compress(rows(5)).text
    assert out.splitlines()[0] == "5 rows of {id,name,score}"
    assert "every row has: status=ok" in out
    assert "3,item-3,10" in out
    assert out.count("name") == 1


def test_small_documents_are_lossless_without_an_id() -> None:
    result = compress(rows(30))
    assert result.ccr_id is None
    assert marker_ids(result.text) == []


def test_null_empty_string_and_missing_key_stay_distinct() -> None:
    data = [
        {"a": 1, "b": None, "c": "x"},
        {"a": 2, "b": "", "c": "y"},
        {"a": 3, "c": "z"},
    ]
    out = compress(data).text
    assert "1,null,x" in out
    assert '2,"",y' in out
    assert "3,,z" in out


def test_strings_that_read_as_other_types_are_quoted() -> None:
    out = compress({"count": 0, "code": "0", "flag": "true", "none": "null", "real": True}).text
    assert "count: 0" in out
    assert 'code: "0"' in out
    assert 'flag: "true"' in out
    assert 'none: "null"' in out
    assert "real: true" in out


def test_string_values_appear_as_decoded_not_escaped() -> None:
    data = {"title": "The doors don’t open", "description": "Something isn't working"}
    text = json.dumps(data)  # ensure_ascii: the input spells ’ as \\u2019
    out = compress(text).text
    assert "The doors don’t open" in out
    assert "Something isn't working" in out


def test_table_cells_with_commas_are_quoted_but_keep_their_text() -> None:
    data = [{"name": "WADE, KEVIN L", "n": 1}, {"name": "SMITH, JO", "n": 2}]
    out = compress(data).text
    assert '"WADE, KEVIN L",1' in out


def test_uniform_nested_objects_flatten_into_dotted_columns() -> None:
    data = [{"id": i, "user": {"login": f"u{i}", "site": {"admin": i == 1}}} for i in range(3)]
    out = compress(data).text
    assert out.splitlines()[0] == "3 rows of {id,user.login,user.site.admin}"
    assert "1,u1,true" in out


def test_key_order_is_kept() -> None:
    out = compress({"zeta": 1, "alpha": 2, "mid": {"b": 1, "a": 2}}).text
    assert out.index("zeta") < out.index("alpha") < out.index("mid")
    assert out.index("  b: 1") < out.index("  a: 2")


def test_multiline_strings_are_written_verbatim_between_fences() -> None:
    patch = "diff --git a/x b/x\r\nnew file mode 100644\r\n+```code```\n"
    out = compress({"git_patch": patch, "ok": True}).text
    assert patch in out
    assert "````" in out  # the fence is longer than any backtick run inside


def test_numbers_keep_their_spelling() -> None:
    text = '{"price": 1.50, "big": 123456789012345678901234567890, "exp": 1E5}'
    out = compress(text).text
    assert "price: 1.50" in out
    assert "big: 123456789012345678901234567890" in out
    assert "exp: 1E5" in out


def test_records_that_are_not_a_table_share_their_common_leaves() -> None:
    data = [
        {"method": "get", "headers": {"server": "GitHub.com", "etag": "a"}, "body": "a\nb"},
        {"method": "post", "headers": {"server": "GitHub.com", "etag": "b"}, "body": {"y": 2}},
    ]
    out = compress(data).text
    assert "every item has:" in out
    assert "headers.server: GitHub.com" in out
    assert out.count("GitHub.com") == 1


def test_a_long_value_seen_before_points_back_to_it() -> None:
    user = {"login": "octocat", "id": 1, "avatar_url": "https://avatars.example.com/u/1?v=4"}
    user |= {f"field_{i}": f"value number {i}" for i in range(8)}
    out = compress({"issue": {"user": user}, "comment": {"user": user, "body": "hi"}}).text
    assert "user: (same as issue.user)" in out
    assert out.count("octocat") == 1


def test_an_alike_object_is_written_as_its_difference() -> None:
    repo = {f"field_{i}": f"value {i}" for i in range(12)}
    renamed = repo | {"field_3": "renamed"}
    out = compress({"before": repo, "after": renamed}).text
    assert "after: (as before, except)" in out
    assert "field_3: renamed" in out


def test_a_string_holding_json_is_decoded() -> None:
    arguments = '{"command": "view", "path": "/workspace/game_2048.py", "n": 1.50}\n' + " " * 20
    out = compress({"function": {"arguments": arguments, "name": "editor"}}).text
    assert "arguments: (json)" in out
    assert "path: /workspace/game_2048.py" in out
    assert "n: 1.50" in out


def test_windows_line_endings_are_read() -> None:
    text = json.dumps(rows(4), indent=2).replace("\n", "\r\n")
    assert compress(text).text.startswith("4 rows of {id,name,score}")


def test_one_row_and_empty_containers() -> None:
    assert compress([{"only": 1}]).text == "1 item\n- only: 1"
    assert compress({"a": [], "b": {}}).text == "a: []\nb: {}"


# ------------------------------------------------------------------ JSON lines


def test_json_lines_of_alike_records_become_a_table() -> None:
    text = "\n".join(json.dumps({"ts": i, "level": "info", "msg": f"m{i}"}) for i in range(20))
    out = compress(text + "\r\n").text
    assert out.startswith("20 rows of {ts,msg}")


def test_json_lines_of_unlike_records_stay_parseable_json_lines() -> None:
    records = [
        {"issue": {"title": "Add MIT license"}, "metrics": {"accumulated_cost": 1.152933}},
        {"history": [{"role": "user", "content": "hi " * 400}], "title": "x"},
    ]
    text = "\n".join(json.dumps(r) for r in records)
    result = compress(text, budget_tokens=100)
    lines = result.text.splitlines()
    assert '"title":"Add MIT license"' in lines[0]
    assert '"accumulated_cost":1.152933' in lines[0]
    for line in lines:
        if not line.startswith("[headroom:"):
            orjson.loads(line)
    assert marker_ids(result.text) == [result.ccr_id]


# ------------------------------------------------------------------ lossy


def big_table(n: int = 2000) -> list[dict[str, object]]:
    data = rows(n)
    data[1234]["status"] = "error: upstream timed out"
    data[777]["score"] = 99999
    return data


def test_over_budget_cuts_rows_with_one_marker_naming_the_original() -> None:
    data = big_table()
    text = json.dumps(data)
    result = compress(text)
    assert result.ccr_id == ccr_id(text)
    assert set(marker_ids(result.text)) == {result.ccr_id}
    assert "rows omitted" in result.text
    assert estimate_tokens(result.text) < estimate_tokens(text) / 5


def test_rows_matching_the_question_are_kept() -> None:
    out = compress(big_table(), query="what happened to item-1500?").text
    assert "1500,item-1500," in out


def test_error_rows_outliers_and_first_and_last_rows_are_kept() -> None:
    out = compress(big_table()).text
    assert "error: upstream timed out" in out
    assert "777,item-777,ok,99999" in out
    assert "0,item-0," in out
    assert "1999,item-1999," in out


def test_a_null_error_field_is_not_an_error() -> None:
    data = [{"id": i, "error": None, "note": f"n{i}"} for i in range(3000)]
    data[42]["error"] = "disk full"
    out = compress(data, budget_tokens=300).text
    assert "42,disk full,n42" in out
    assert out.count(",null,") < 40


def test_records_with_an_error_status_are_kept() -> None:
    calls = [
        {"method": "get", "path": f"/items/{i}", "status": 200, "body": {"text": "ok\nfine"}}
        for i in range(400)
    ]
    calls[321]["status"] = 404
    out = compress(calls, budget_tokens=400).text
    assert "path: /items/321" in out
    assert "status: 404" in out


def test_the_question_naming_a_column_keeps_its_extremes() -> None:
    data = [{"country": f"c{i}", "life_expect": 40 + (i * 7919) % 43} for i in range(3000)]
    data[2500]["life_expect"] = 12.5
    out = compress(data, query="Which country has the lowest life expectancy?", budget_tokens=200)
    assert "c2500,12.5" in out.text


def test_the_marker_summarizes_what_was_left_out() -> None:
    data = [{"kind": ["a", "b", "c"][i % 3], "v": i} for i in range(3000)]
    out = compress(data, budget_tokens=200).text
    marker = next(line for line in out.splitlines() if line.startswith("[headroom:"))
    assert "of 3000 rows omitted" in marker
    assert "kind: " in marker and "×" in marker
    assert "v 1–2998" in marker or "v 0–2999" in marker or "v " in marker


def test_count_fields_survive_when_their_items_are_cut() -> None:
    data = {"total_count": 5000, "incomplete_results": False, "items": rows(5000)}
    out = compress(data).text
    assert "total_count: 5000" in out
    assert "of 5000 rows omitted" in out


def test_long_opaque_strings_are_cut_with_a_marker() -> None:
    blob = base64.b64encode(bytes(range(256)) * 40).decode()
    result = compress({"name": "logo.png", "content": blob}, budget_tokens=50)
    assert blob not in result.text
    assert blob[:24] in result.text
    assert "chars omitted" in result.text
    assert marker_ids(result.text)


def test_long_lists_of_scalars_are_cut_with_a_marker() -> None:
    result = compress({"ids": list(range(5000))}, budget_tokens=100)
    assert "items omitted" in result.text
    assert "4999" in result.text  # the extremes stay


def test_long_text_keeps_its_head_tail_and_matching_lines() -> None:
    lines = [f"step {i}: all fine" for i in range(3000)]
    lines[1500] = "step 1500: E999 IndentationError: unexpected indent"
    out = compress({"observation": "\n".join(lines)}, query="which syntax error?").text
    assert "step 0: all fine" in out
    assert "step 2999: all fine" in out
    assert "E999 IndentationError: unexpected indent" in out
    assert "lines omitted" in out


def test_url_fields_of_wide_objects_go_only_when_over_budget() -> None:
    repo = {"name": "hello", "id": 7, "url": "https://api.example.com/r/7"}
    repo |= {f"{k}_url": f"https://api.example.com/r/7/{k}" for k in "abcdefghij"}
    assert "a_url" in compress(repo).text
    result = compress({"repo": repo, "pad": ["x" * 50] * 200}, budget_tokens=120)
    assert "https://api.example.com/r/7" in result.text
    assert "fields omitted (URLs" in result.text


def test_budget_tokens_and_keep_factor_set_the_size() -> None:
    text = json.dumps(big_table())
    small = COMPRESSOR.compress(text, CompressContext(budget_tokens=300))
    large = COMPRESSOR.compress(text, CompressContext(budget_tokens=300, keep_factor=3.0))
    assert small is not None and large is not None
    assert len(small.text) < len(large.text)


def test_default_budget_keeps_small_documents_and_grows_slowly() -> None:
    assert default_budget(1500) == 2000
    assert default_budget(32_000) == 5000
    assert default_budget(32_000, prose_share=1.0) > default_budget(32_000)


def test_output_is_deterministic() -> None:
    text = json.dumps(big_table())
    first = COMPRESSOR.compress(text, CompressContext(query="item-42"))
    second = COMPRESSOR.compress(text, CompressContext(query="item-42"))
    assert first == second


def test_very_long_line_and_a_ten_megabyte_input_finish() -> None:
    huge = json.dumps({"log": "x" * 8_000_000, "rows": rows(20_000)})
    assert len(huge) > 9_000_000
    result = compress(huge, query="item-19999")
    assert len(result.text) < 60_000
    assert "19999,item-19999" in result.text


def test_deeply_nested_json_is_left_alone() -> None:
    assert COMPRESSOR.compress("[" * 3000 + "]" * 3000, CompressContext()) is None


# ------------------------------------------------------------------ signature


def test_signature_names_the_schema_not_the_values() -> None:
    a = json.dumps({"total": 2, "items": [{"id": 1, "user": {"login": "x"}}]})
    b = json.dumps({"total": 9, "items": [{"id": 5, "user": {"login": "y"}}, {"id": 6}]})
    c = json.dumps({"total": 9, "items": [{"id": 5, "name": "z"}]})
    assert signature(a) == signature(b)
    assert signature(a) != signature(c)
    assert signature("not json") is None
    assert COMPRESSOR.signature(a) == signature(a)


def test_signature_reads_json_lines() -> None:
    text = "\n".join(json.dumps({"ts": i, "msg": "m"}) for i in range(3))
    assert signature(text) is not None


# ------------------------------------------------------------------ corpus


@pytest.fixture(scope="module")
def corpus() -> Path:
    return require_corpus()


#: Measured floors on the corpus (the bench gives 81% and 64%).
FLOORS = {"json": 78.0, "agent_traces": 55.0}


@pytest.mark.corpus
@pytest.mark.parametrize("kind", sorted(FLOORS))
def test_corpus_keeps_every_needle_and_saves_the_measured_floor(corpus: Path, kind: str) -> None:
    runtime = get_runtime(store="memory")
    results = run(runtime, load_corpus(corpus, kind=kind))
    total = summarize(results)[-1]
    missed = [r.id for r in results if r.needles_kept < r.needles_total]
    assert not missed, f"needles lost in {missed}"
    assert total.saved_pct >= FLOORS[kind]


@pytest.mark.corpus
def test_corpus_json_compresses_the_same_way_twice(corpus: Path) -> None:
    for sample in load_corpus(corpus, kind="json"):
        text = sample.read()
        ctx = CompressContext(query=sample.needles[0].question, kind="json")
        assert COMPRESSOR.compress(text, ctx) == COMPRESSOR.compress(text, ctx)


# ------------------------------------------------------------------ properties

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=30)
        | st.dictionaries(st.text(max_size=12), children, max_size=12)
    ),
    max_leaves=400,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=JSON_VALUES,
    query=st.one_of(st.none(), st.text(max_size=40)),
    budget=st.integers(1, 400),
    as_lines=st.booleans(),
)
def test_any_json_compresses_without_error_and_every_cut_is_marked(
    value: object, query: str | None, budget: int, as_lines: bool
) -> None:
    text = json.dumps(value)
    if as_lines and isinstance(value, list) and all(isinstance(v, dict) for v in value):
        text = "\n".join(json.dumps(v) for v in value)
    ctx = CompressContext(query=query, budget_tokens=budget)
    result = COMPRESSOR.compress(text, ctx)
    if result is None:
        return
    assert isinstance(value, dict | list)
    assert result == COMPRESSOR.compress(text, ctx)
    ids = set(marker_ids(result.text))
    assert ids == ({result.ccr_id} if result.ccr_id else set())


def test_a_map_of_many_entries_keeps_the_entries_the_question_names() -> None:
    packages = {
        f"node_modules/pkg{i}": {"version": f"1.{i}.0", "dev": i % 3 == 0} for i in range(800)
    }
    result = compress({"packages": packages}, query="which version of pkg431?")
    assert "node_modules/pkg431:" in result.text
    assert "of 800 entries omitted" in result.text


def test_json_lines_cut_off_mid_record_keep_the_last_line_as_it_came() -> None:
    lines = [json.dumps({"ts": i, "level": "info", "msg": f"m{i}"}) for i in range(20)]
    text = "\n".join([*lines, '{"ts": 20, "level": "inf'])
    out = compress(text).text
    assert out.startswith("20 rows of {ts,msg}")
    assert out.endswith('{"ts": 20, "level": "inf')
