"""Registers Headroom's own compressors, through the same hook plugins use."""

from __future__ import annotations

from headroom.compressors.code import CodeCompressor
from headroom.compressors.diff import DiffCompressor
from headroom.compressors.html import HtmlCompressor
from headroom.compressors.json import JsonCompressor
from headroom.compressors.logs import LogsCompressor
from headroom.compressors.lossless import LosslessCompressor
from headroom.compressors.registry import Register
from headroom.compressors.search import SearchCompressor
from headroom.compressors.shell import ShellCompressor
from headroom.compressors.text import TextCompressor


def register_compressors(register: Register) -> None:
    register(CodeCompressor())
    register(DiffCompressor())
    register(JsonCompressor())
    register(SearchCompressor())
    register(ShellCompressor())
    register(LogsCompressor())
    register(HtmlCompressor())
    register(TextCompressor())
    register(LosslessCompressor())
