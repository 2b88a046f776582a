"""Token counting with tiktoken's `o200k_base`, offline.

The BPE file is looked up by the name tiktoken's cache gives it (sha1 of its
download address) in the configured tokenizer folder, `TIKTOKEN_CACHE_DIR`,
`~/.headroom/tiktoken` and tiktoken's default cache. It is never downloaded
here: when no file is found, counting falls back to a declared estimate
(one token per 4 characters) and says so once.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from headroom.config import load_settings

log = logging.getLogger(__name__)

O200K_FILE = "fb374d419588a4632f3f557e76b4b70aebbca790"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
#: Characters per token assumed by the fallback estimate.
FALLBACK_CHARS_PER_TOKEN = 4

# The o200k_base pre-tokenizer pattern: a published fact of the encoding.
_O200K_PATTERN = "|".join(
    [
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"\p{N}{1,3}",
        r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
        r"\s*[\r\n]+",
        r"\s+(?!\S)",
        r"\s+",
    ]
)


class TokenCounter:
    """Counts tokens with o200k_base, or estimates them when the files are missing."""

    def __init__(self, search_dirs: Iterable[Path]) -> None:
        self.encoding: tiktoken.Encoding | None = None
        self.source: str = "estimate"
        for folder in search_dirs:
            path = folder / O200K_FILE
            if path.is_file():
                ranks = load_tiktoken_bpe(str(path), expected_hash=O200K_SHA256)
                self.encoding = tiktoken.Encoding(
                    name="o200k_base",
                    pat_str=_O200K_PATTERN,
                    mergeable_ranks=ranks,
                    special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
                )
                self.source = str(path)
                break
        if self.encoding is None:
            log.warning(
                "tiktoken o200k_base files not found in %s; token counts are estimates "
                "(1 token per %d characters). Set HEADROOM_TOKENIZER_DIR to a folder "
                "holding %s for exact counts.",
                ", ".join(str(d) for d in search_dirs) or "any folder",
                FALLBACK_CHARS_PER_TOKEN,
                O200K_FILE,
            )

    @property
    def exact(self) -> bool:
        return self.encoding is not None

    def count(self, text: str) -> int:
        if not text:
            return 0
        if self.encoding is None:
            return estimate_tokens(text)
        return len(self.encoding.encode_ordinary(text))


def estimate_tokens(text: str) -> int:
    """The declared estimate: one token per 4 characters (used where speed matters more)."""
    return -(-len(text) // FALLBACK_CHARS_PER_TOKEN)


def default_search_dirs(tokenizer_dir: str, home: Path) -> list[Path]:
    dirs = [Path(tokenizer_dir).expanduser()] if tokenizer_dir else []
    dirs += [home / "tiktoken", Path(tempfile.gettempdir()) / "data-gym-cache"]
    return dirs


@functools.cache
def _counter_for(dirs: tuple[Path, ...]) -> TokenCounter:
    return TokenCounter(dirs)


def counter_for(tokenizer_dir: str, home: Path) -> TokenCounter:
    """The counter for a tokenizer folder and home (built once per pair, then shared)."""
    return _counter_for(tuple(default_search_dirs(tokenizer_dir, home)))


def get_counter() -> TokenCounter:
    """The counter for the current settings."""
    settings = load_settings()
    return counter_for(settings.tokenizer_dir, settings.home_path)


def count_tokens(text: str) -> int:
    """Tokens in `text` under o200k_base (or the declared estimate)."""
    return get_counter().count(text)
