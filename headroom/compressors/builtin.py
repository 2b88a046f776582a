"""Registers Headroom's own compressors, through the same hook plugins use."""

from __future__ import annotations

from headroom.compressors.lossless import LosslessCompressor
from headroom.compressors.registry import Register


def register_compressors(register: Register) -> None:
    register(LosslessCompressor())
