"""Loading, checking and running the ONNX token-classification model.

`TextModel.load(folder)` opens `model.onnx` with onnxruntime (CPU only, a
fixed thread count, so runs are repeatable) and `tokenizer.json` with the
`tokenizers` library. Both libraries are imported here, on load, so Headroom
works without them until a model is configured. Everything that can be wrong
with the folder is found at load time and reported as one `TextModelError`
that says what to fix: missing files or libraries, inputs the model does not
take, and (through one probe run) outputs of the wrong shape.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from headroom.compressors.text_model.windows import pack

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from tokenizers import Tokenizer

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
#: Window length when neither the model nor the tokenizer names one (BERT-style models).
DEFAULT_MAX_LENGTH = 512
_INT_TYPES = {"tensor(int64)": "int64", "tensor(int32)": "int32"}
_FLOAT_TYPES = frozenset({"tensor(float)", "tensor(float16)", "tensor(double)"})
_OPTIONAL_INPUTS = ("attention_mask", "token_type_ids")
_ORT_ERRORS = ("Fail", "InvalidArgument", "InvalidGraph", "InvalidProtobuf", "NoSuchFile")
_INSTALL = "install the optional extra: pip install 'headroom[ml]'"


class TextModelError(ValueError):
    """The text model folder cannot be used; the message says what to fix."""


class TextModel:
    """A loaded keep/drop model: per word of a text, the probability it is worth keeping."""

    def __init__(
        self, path: Path, session: Any, tokenizer: Tokenizer, *, max_length: int | None = None
    ) -> None:
        self.path = path
        self._session = session
        self._tokenizer = tokenizer
        self._inputs, self._dtype, self._fixed = _check_inputs(path, session)
        self._output: str = session.get_outputs()[0].name
        self.max_length = max_length or self._fixed or _tokenizer_max_length(tokenizer)
        self._budget = self.max_length - tokenizer.num_special_tokens_to_add(False)
        self._pad = _pad_id(tokenizer)
        tokenizer.no_truncation()
        tokenizer.no_padding()
        if self._budget < 1:
            raise TextModelError(f"{path}: max_length {self.max_length} leaves no room for words")
        self._probe()

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, threads: int = 1, max_length: int | None = None
    ) -> TextModel:
        """Load the model folder at `path` (`model.onnx` + `tokenizer.json`) and check it.

        `threads` is onnxruntime's intra-op thread count (1 keeps results
        repeatable across machines); `max_length` overrides the window length.
        """
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise TextModelError(
                f"text model folder {str(folder)!r} does not exist; set HEADROOM_TEXT_MODEL "
                f"to a folder holding {MODEL_FILE} and {TOKENIZER_FILE}, or to '' to turn it off"
            )
        for name in (MODEL_FILE, TOKENIZER_FILE):
            if not (folder / name).is_file():
                raise TextModelError(f"text model folder {str(folder)!r} has no {name}")
        tokenizer = _load_tokenizer(folder / TOKENIZER_FILE)
        session = _load_session(folder / MODEL_FILE, threads)
        return cls(folder, session, tokenizer, max_length=max_length)

    def word_scores(self, words: Sequence[str], ends: Sequence[bool]) -> list[float | None]:
        """Keep-probability of each word (mean over its tokens); None where it was not scored.

        `ends[i]` says a sentence or line ends after word i: windows are cut there.
        """
        if not words:
            return []
        first = self._tokenizer.encode(list(words), is_pretokenized=True, add_special_tokens=False)
        counts = [0] * len(words)
        for w in first.word_ids:
            if w is not None:
                counts[w] += 1
        scores: list[float | None] = [None] * len(words)
        for start, stop in pack(counts, ends, self._budget):
            scores[start:stop] = self._score_window(words[start:stop])
        return scores

    def _score_window(self, words: Sequence[str]) -> list[float | None]:
        enc = self._tokenizer.encode(list(words), is_pretokenized=True, add_special_tokens=True)
        probs = self._keep_probabilities(enc.ids, enc.type_ids)
        sums = [0.0] * len(words)
        counts = [0] * len(words)
        for prob, w in zip(probs, enc.word_ids, strict=True):
            if w is not None:
                sums[w] += prob
                counts[w] += 1
        return [s / c if c else None for s, c in zip(sums, counts, strict=True)]

    def _keep_probabilities(self, ids: Sequence[int], type_ids: Sequence[int]) -> list[float]:
        """Run the model on one window; the keep-probability of each of its tokens."""
        import numpy as np

        length = len(ids)
        width = max(self._fixed or length, length)
        feeds = {
            "input_ids": _row(ids, width, self._pad, self._dtype),
            "attention_mask": _row([1] * length, width, 0, self._dtype),
            "token_type_ids": _row(type_ids, width, 0, self._dtype),
        }
        raw = self._session.run([self._output], {k: feeds[k] for k in self._inputs})[0]
        out = np.asarray(raw, dtype=np.float64)
        if out.ndim == 3 and out.shape[:2] == (1, width) and out.shape[2] == 2:
            probs = 1.0 / (1.0 + np.exp(out[0, :, 0] - out[0, :, 1]))
        elif out.ndim == 3 and out.shape[:2] == (1, width) and out.shape[2] == 1:
            probs = out[0, :, 0]
        elif out.shape == (1, width):
            probs = out[0]
        else:
            raise TextModelError(
                f"{self.path / MODEL_FILE}: output {self._output!r} has shape {out.shape}; "
                f"expected [batch, seq, 2] logits (drop, keep) or [batch, seq] keep-probabilities"
            )
        return [float(p) for p in probs[:length]]

    def _probe(self) -> None:
        """One run on a tiny input, so a wrong output shape fails at load, not mid-request."""
        enc = self._tokenizer.encode(["probe"], is_pretokenized=True, add_special_tokens=True)
        self._keep_probabilities(enc.ids, enc.type_ids)


def _row(values: Sequence[int], width: int, pad: int, dtype: str) -> NDArray[np.integer[Any]]:
    import numpy as np

    row = np.full((1, width), pad, dtype=dtype)
    row[0, : len(values)] = values
    return row


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing = f"HEADROOM_TEXT_MODEL is set but {name} is not installed; {_INSTALL}"
        raise TextModelError(missing) from exc


def _load_tokenizer(file: Path) -> Tokenizer:
    """The tokenizer, after checking the file is the JSON `tokenizers` writes."""
    tokenizers = _import("tokenizers")
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TextModelError(f"{file} is not a readable tokenizer JSON file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        raise TextModelError(
            f"{file} is not a `tokenizers` file (no 'model' object); save one with "
            "Tokenizer.save() or a transformers fast tokenizer's save_pretrained()"
        )
    tokenizer: Tokenizer = tokenizers.Tokenizer.from_str(text)
    return tokenizer


def _load_session(file: Path, threads: int) -> Any:
    ort = _import("onnxruntime")
    state = importlib.import_module("onnxruntime.capi.onnxruntime_pybind11_state")
    errors = tuple(getattr(state, name) for name in _ORT_ERRORS)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(
            str(file), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except errors as exc:
        raise TextModelError(f"{file} is not a model onnxruntime can load: {exc}") from exc


def _check_inputs(path: Path, session: Any) -> tuple[tuple[str, ...], str, int | None]:
    """The inputs to feed, their integer type, and the fixed sequence length, if any."""
    inputs = {arg.name: arg for arg in session.get_inputs()}
    where = path / MODEL_FILE
    expected = f"expected input_ids (+ {', '.join(_OPTIONAL_INPUTS)}), int64 [batch, seq]"
    if "input_ids" not in inputs or set(inputs) - {"input_ids", *_OPTIONAL_INPUTS}:
        raise TextModelError(f"{where}: inputs are {sorted(inputs)}; {expected}")
    types = {arg.type for arg in inputs.values()}
    if len(types) != 1 or not types <= set(_INT_TYPES):
        raise TextModelError(f"{where}: input types are {sorted(types)}; {expected}")
    shape = inputs["input_ids"].shape
    if len(shape) != 2 or any(len(arg.shape) != 2 for arg in inputs.values()):
        raise TextModelError(f"{where}: input_ids has shape {shape}; {expected}")
    outputs = session.get_outputs()
    if not outputs or outputs[0].type not in _FLOAT_TYPES:
        found = [o.type for o in outputs]
        raise TextModelError(f"{where}: outputs are {found}; expected one float tensor first")
    fixed = shape[1] if isinstance(shape[1], int) and shape[1] > 0 else None
    return tuple(inputs), _INT_TYPES[types.pop()], fixed


def _tokenizer_max_length(tokenizer: Tokenizer) -> int:
    truncation = tokenizer.truncation
    if truncation and int(truncation.get("max_length", 0)) > 0:
        return int(truncation["max_length"])
    return DEFAULT_MAX_LENGTH


def _pad_id(tokenizer: Tokenizer) -> int:
    padding = tokenizer.padding
    if padding and isinstance(padding.get("pad_id"), int):
        return int(padding["pad_id"])
    for token in ("[PAD]", "<pad>"):
        found = tokenizer.token_to_id(token)
        if found is not None:
            return found
    return 0
