"""Which files in a diff are machine-written: lockfiles, minified and generated code.

Their hunks are long, token-hungry (checksums, hashes, one-line bundles) and
almost never what a question is about, so the diff compressor collapses them
into one stat line unless the query names something in them. Recognition is
by path alone, which is cheap and predictable; a minified file without a
`.min.` name is still caught by its line length (`has_minified_line`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["MINIFIED_LINE_CHARS", "generated_reason", "has_minified_line"]

#: A changed line this long is a bundle or a data blob, not something people write.
MINIFIED_LINE_CHARS = 1000

_LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "cargo.lock",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "gemfile.lock",
        "composer.lock",
        "go.sum",
        "go.work.sum",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "podfile.lock",
        "packages.lock.json",
        "gradle.lockfile",
        "package.resolved",
        "cartfile.resolved",
        "deno.lock",
        "conda-lock.yml",
        "manifest.toml",
    }
)
_LOCK_SUFFIXES = (".lock", ".lockfile", "-lock.json", "-lock.yaml")
_MINIFIED = re.compile(r"\.min\.(?:js|mjs|css)$|\.(?:js|css)\.map$|\.map$")
_GENERATED = re.compile(
    r"\.pb\.(?:go|cc|h)$|_pb2(?:_grpc)?\.pyi?$|\.pb\.swift$|_generated\.\w+$|\.generated\.\w+$"
    r"|\.g\.dart$|\.designer\.cs$|(?:^|/)(?:__generated__|generated)/"
)


def generated_reason(path: str) -> str | None:
    """ "lockfile", "minified" or "generated" when the path names such a file, else None."""
    lowered = path.lower()
    name = lowered.rsplit("/", 1)[-1]
    if name in _LOCKFILES or name.endswith(_LOCK_SUFFIXES):
        return "lockfile"
    if _MINIFIED.search(name):
        return "minified"
    if _GENERATED.search(lowered):
        return "generated"
    return None


def has_minified_line(lines: Sequence[str]) -> bool:
    """Whether any line is too long to be hand-written code."""
    return max(map(len, lines), default=0) >= MINIFIED_LINE_CHARS
