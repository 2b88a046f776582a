"""The optional ML text backend, end to end on a tiny model built here.

The model is a real ONNX graph (Gather from a small embedding, MatMul to two
logits, masked by attention_mask) and the tokenizer a real `tokenizers`
WordLevel one, both written to tmp_path: loading, inference, word
aggregation, protected spans and the keep ratio all run for real. Nothing is
downloaded.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from headroom.compressors.text_model import (
    TextModel,
    TextModelError,
    apply_text_model,
    load_text_model,
    prune_words,
)
from headroom.config import load_settings
from tests.conftest import in_ci


def _need(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        if in_ci():
            pytest.fail(f"CI=true but {name} is missing: pip install -e '.[dev]'")
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]' to run these tests)")


onnx = _need("onnx")
_need("onnxruntime")
tokenizers = _need("tokenizers")
np = _need("numpy")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

#: Keep logit of each word in the toy vocabulary: content words high, filler low.
SCORES = {
    "[UNK]": -2.0,
    "[CLS]": 0.0,
    "[SEP]": 0.0,
    "[PAD]": 0.0,
    "the": -3.0,
    "a": -2.5,
    "of": -2.0,
    "on": -1.5,
    "very": -1.0,
    "really": -0.5,
    "sat": 0.5,
    "mat": 1.0,
    "cat": 2.0,
    "dog": 2.5,
    "server": 3.0,
    "crashed": 3.5,
    ",": -4.0,
    ".": -4.0,
}
VOCAB = {token: i for i, token in enumerate(SCORES)}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _write_tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    tok = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tok.normalizer = tokenizers.normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", VOCAB["[CLS]"]), ("[SEP]", VOCAB["[SEP]"])],
    )
    tok.save(str(folder / "tokenizer.json"))


def _write_model(
    folder: Path,
    *,
    seq: int | str = "seq",
    probabilities: bool = False,
    classes: int = 2,
    input_name: str = "input_ids",
) -> None:
    """Logits = MatMul(Gather(embedding, ids), W) * mask; class 1 - class 0 = SCORES[token]."""
    embedding = np.array([[0.0, SCORES[t]] for t in SCORES], dtype=np.float32)
    weights = np.eye(2, classes, dtype=np.float32)
    nodes = [
        helper.make_node("Gather", ["embedding", input_name], ["hidden"], axis=0),
        helper.make_node("MatMul", ["hidden", "weights"], ["raw"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["raw", "mask3"], ["logits"]),
    ]
    out_shape: list[int | str] = ["batch", seq, classes]
    if probabilities:  # keep-probability = sigmoid(class 1 - class 0), shape [batch, seq]
        nodes += [
            helper.make_node("Split", ["logits"], ["l0", "l1"], axis=2, num_outputs=2),
            helper.make_node("Sub", ["l1", "l0"], ["diff"]),
            helper.make_node("Squeeze", ["diff", "axis2"], ["squeezed"]),
            helper.make_node("Sigmoid", ["squeezed"], ["keep"]),
        ]
        out_shape = ["batch", seq]
    ints = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", seq])
        for name in (input_name, "attention_mask")
    ]
    out_name = "keep" if probabilities else "logits"
    graph = helper.make_graph(
        nodes,
        "toy-token-classifier",
        ints,
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)],
        initializer=[
            numpy_helper.from_array(embedding, "embedding"),
            numpy_helper.from_array(weights, "weights"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "model", **model_options: Any) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        _write_tokenizer(folder)
        _write_model(folder, **model_options)
        return folder

    return make


@pytest.fixture
def model(make_folder: Callable[..., Path]) -> TextModel:
    return TextModel.load(make_folder())


def _words(text: str) -> list[str]:
    return text.split()


# --- loading, inference, aggregation --------------------------------------------------


def test_word_scores_are_the_models_keep_probabilities(model: TextModel) -> None:
    scores = model.word_scores(["The", "cat", "crashed"], [False, False, True])
    expected = [_sigmoid(SCORES[w]) for w in ("the", "cat", "crashed")]
    assert scores == pytest.approx(expected)


def test_subword_tokens_of_one_word_are_averaged(model: TextModel) -> None:
    # The pre-tokenizer splits "cat," into "cat" and ","; the word gets their mean.
    [score] = model.word_scores(["cat,"], [True])
    assert score == pytest.approx((_sigmoid(2.0) + _sigmoid(-4.0)) / 2)


def test_long_texts_are_scored_window_by_window_with_the_same_result(
    make_folder: Callable[..., Path],
) -> None:
    folder = make_folder()
    words = ("the cat sat on a mat . " * 40).split()
    ends = [w == "." for w in words]
    whole = TextModel.load(folder).word_scores(words, ends)
    windowed = TextModel.load(folder, max_length=7)
    assert windowed.max_length == 7
    assert windowed.word_scores(words, ends) == pytest.approx(whole)


def test_a_word_longer_than_a_window_is_kept_unscored(make_folder: Callable[..., Path]) -> None:
    narrow = TextModel.load(make_folder(), max_length=3)  # [CLS] + one token + [SEP]
    assert narrow.word_scores(["the", "cat,", "dog"], [False] * 3) == [
        pytest.approx(_sigmoid(-3.0)),
        None,
        pytest.approx(_sigmoid(2.5)),
    ]
    assert apply_text_model("the cat, the the", model=narrow, keep_ratio=0.25) == "cat,"


def test_a_model_with_fixed_length_and_probability_output_works(
    make_folder: Callable[..., Path],
) -> None:
    m = TextModel.load(make_folder(seq=16, probabilities=True))
    assert m.max_length == 16
    words = ("dog the " * 20).split()
    scores = m.word_scores(words, [False] * len(words))
    assert scores == pytest.approx([_sigmoid(2.5), _sigmoid(-3.0)] * 20)


# --- pruning ----------------------------------------------------------------------------


def test_low_value_words_are_dropped_and_order_and_spacing_kept(model: TextModel) -> None:
    text = "The server crashed on the mat.\nThe very dog sat on a cat.\n"  # 13 words, keep 6
    out = apply_text_model(text, model=model, keep_ratio=0.45)
    assert out == "server crashed mat.\ndog sat cat.\n"


def test_keep_ratio_sets_how_many_words_survive(model: TextModel) -> None:
    text = "the dog sat on a very really big mat of the cat " * 5
    n = len(_words(text))
    for ratio in (0.1, 0.3, 0.5, 0.8):
        result = prune_words(text, model=model, keep_ratio=ratio)
        assert result.kept == math.ceil(n * ratio)
        assert len(_words(result.text)) == result.kept
        assert result.dropped == n - result.kept


def test_kept_words_are_the_highest_rated_in_original_order(model: TextModel) -> None:
    text = "the cat really sat on the dog of a server"
    out = apply_text_model(text, model=model, keep_ratio=0.4)
    assert out == "cat sat dog server"


def test_protected_spans_are_never_dropped(model: TextModel) -> None:
    keep = [
        "123e4567-e89b-12d3-a456-426614174000",
        "https://example.com/a/b?x=1",
        "/var/log/app.log",
        "ops@example.com",
        "v2.14.1",
        "9f86d081884c7d65",
        "load_settings",
    ]
    text = "the " + " the a of ".join(keep) + " the a of the very"
    result = prune_words(text, model=model, keep_ratio=0.1)
    assert _words(result.text) == keep


def test_numbers_from_the_question_survive_even_when_digits_are_not_forced(
    model: TextModel,
) -> None:
    text = "the cat sat on 1,500 mats of the 42 dogs of a server"
    out = apply_text_model(text, model=model, keep_ratio=0.2, query="why 1500 mats?")
    assert "1,500" in out
    out = prune_words(text, model=model, keep_ratio=0.2, query="1500?", keep_numbers=False).text
    assert "1,500" in out
    assert "42" not in out


def test_words_carrying_the_questions_terms_survive(model: TextModel) -> None:
    text = "the cat sat on the really quiet mat of the dog"
    out = apply_text_model(text, model=model, keep_ratio=0.2, query="What was quiet?")
    assert "quiet" in out.split()
    assert "the" not in out.split()


def test_caller_spans_are_kept(model: TextModel) -> None:
    text = "## the of a\nthe cat sat on a mat"
    heading = (0, text.index("\n"))
    out = apply_text_model(text, model=model, keep_ratio=0.3, protected=[heading])
    assert out.startswith("## the of a\n")


def test_newlines_and_windows_line_endings_survive_drops(model: TextModel) -> None:
    text = "  dog sat the\r\n\r\nthe a of\r\ncat mat the\r\n"
    out = apply_text_model(text, model=model, keep_ratio=0.4)
    assert out == "  dog sat\r\n\r\ncat mat\r\n"


def test_nothing_to_do_returns_the_text_unchanged(model: TextModel) -> None:
    assert apply_text_model("", model=model, keep_ratio=0.5) == ""
    assert apply_text_model(" \n ", model=model, keep_ratio=0.5) == " \n "
    text = "the of a the\n"
    assert apply_text_model(text, model=model, keep_ratio=1.0) == text


def test_keep_ratio_outside_zero_to_one_is_rejected(model: TextModel) -> None:
    with pytest.raises(ValueError, match="keep_ratio"):
        apply_text_model("the cat", model=model, keep_ratio=1.5)


def test_output_is_deterministic_across_loads(make_folder: Callable[..., Path]) -> None:
    folder = make_folder()
    text = "the cat sat on a very really nice mat, of the dog. " * 30
    runs = [apply_text_model(text, model=TextModel.load(folder), keep_ratio=0.45) for _ in "ab"]
    assert runs[0] == runs[1]


# --- configuration and errors -------------------------------------------------------------


def test_setting_and_env_var_name_the_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().text_model == ""
    monkeypatch.setenv("HEADROOM_TEXT_MODEL", "/models/lingua")
    assert load_settings().text_model == "/models/lingua"


def test_load_text_model_is_off_when_empty_and_cached_when_set(
    make_folder: Callable[..., Path],
) -> None:
    assert load_text_model("") is None
    folder = str(make_folder())
    assert load_text_model(folder) is load_text_model(folder)


def _error(path: Path) -> str:
    with pytest.raises(TextModelError) as info:
        TextModel.load(path)
    return str(info.value)


def test_a_missing_folder_or_file_is_a_clear_error(
    tmp_path: Path, make_folder: Callable[..., Path]
) -> None:
    assert "does not exist" in _error(tmp_path / "nowhere")
    folder = make_folder()
    (folder / "model.onnx").unlink()
    assert "has no model.onnx" in _error(folder)
    folder = make_folder("other")
    (folder / "tokenizer.json").unlink()
    assert "has no tokenizer.json" in _error(folder)


def test_corrupt_files_are_a_clear_error(make_folder: Callable[..., Path]) -> None:
    folder = make_folder()
    (folder / "tokenizer.json").write_text("{not json")
    assert "not a readable tokenizer JSON" in _error(folder)
    (folder / "tokenizer.json").write_text('{"vocab": {}}')
    assert "not a `tokenizers` file" in _error(folder)
    folder = make_folder("other")
    (folder / "model.onnx").write_bytes(b"not a protobuf")
    assert "onnxruntime can load" in _error(folder)


def test_a_model_with_the_wrong_signature_is_a_clear_error(
    make_folder: Callable[..., Path],
) -> None:
    message = _error(make_folder("inputs", input_name="tokens"))
    assert "inputs are ['attention_mask', 'tokens']" in message
    assert "expected input_ids" in message
    message = _error(make_folder("outputs", classes=3))
    assert "shape (1, 3, 3)" in message
    assert "expected [batch, seq, 2]" in message


def test_missing_onnxruntime_is_a_clear_error(
    make_folder: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder()
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    message = _error(folder)
    assert "onnxruntime is not installed" in message
    assert "headroom[ml]" in message


# --- wired into the pipeline --------------------------------------------------------


def test_the_setting_runs_the_model_after_extraction_end_to_end(
    make_folder: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from headroom.api import compress_text

    paragraphs = [
        f"Section {i}. The quick brown fox jumps over the lazy dog near river {i}. "
        f"Nobody expected the fox to return on day {i}, yet it came back every morning."
        for i in range(120)
    ]
    doc = "\n\n".join(paragraphs)
    plain = compress_text(doc, query="when did the fox return", kind="text")
    monkeypatch.setenv("HEADROOM_TEXT_MODEL", str(make_folder()))
    refined = compress_text(doc, query="when did the fox return", kind="text")
    assert plain.compressor == refined.compressor == "text"
    assert refined.tokens_after < plain.tokens_after
    assert refined.ccr_id == plain.ccr_id  # the same original stays retrievable
    vocabulary = set(doc.split())
    prose = [line for line in refined.text.splitlines() if not line.startswith(("[headroom", "…"))]
    assert prose
    for line in prose:
        assert set(line.replace("…", " ").split()) <= vocabulary  # words dropped, never rewritten


def test_an_unusable_model_folder_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headroom.api import compress_text
    from headroom.compressors.text_model import TextModelError

    monkeypatch.setenv("HEADROOM_TEXT_MODEL", str(tmp_path / "missing"))
    with pytest.raises(TextModelError, match="does not exist"):
        compress_text("hello " * 500, kind="text")
