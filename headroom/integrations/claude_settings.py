"""Edits to Claude Code's JSON config files that can be undone byte for byte.

`headroom hooks install` adds a hook to `~/.claude/settings.json` and
`headroom mcp install` (without the `claude` CLI) adds a server to
`~/.claude.json` or `.mcp.json`. Both promise that uninstalling leaves the file
exactly as it was. A JSON round trip cannot keep a user's formatting, so
`apply` keeps the file's original bytes in a manifest under the Headroom home,
together with the bytes it wrote:

- on `revert`, if the file still holds exactly what Headroom wrote, the
  original bytes go back (or the file is deleted, with any folder Headroom
  created for it, when there was no file before);
- if something else changed the file since (Claude Code itself writes to
  `~/.claude.json`), only Headroom's entry is taken out, so the other change
  survives, and the caller says the formatting may differ.

Files are replaced atomically and keep their permission bits (`~/.claude.json`
holds credentials and is private to its owner).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Change",
    "ClaudeConfigError",
    "Reverted",
    "apply",
    "manifest_for",
    "read_object",
    "revert",
]

#: Changes `data` in place; returns False when there was nothing to change.
Change = Callable[[dict[str, Any]], bool]


class ClaudeConfigError(ValueError):
    """A config file cannot be edited safely (not JSON, or not a JSON object)."""


class Reverted(enum.StrEnum):
    RESTORED = "restored"  # the original bytes are back (or the file is gone again)
    REMOVED = "removed"  # the file had changed since: only Headroom's entry was taken out
    ABSENT = "absent"  # there was nothing of Headroom's to undo


@dataclass(frozen=True, slots=True)
class Manifest:
    """Where a file's original bytes are kept while Headroom's edit is in place."""

    path: Path

    def load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        return data if isinstance(data, dict) else None

    def save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.path, json.dumps(data, indent=2).encode() + b"\n", mode=0o600)

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)


def manifest_for(headroom_home: Path, name: str, target: Path) -> Manifest:
    """The manifest for Headroom's `name` edit (e.g. "hooks") of the file `target`."""
    digest = hashlib.sha256(str(target.absolute()).encode()).hexdigest()[:16]
    return Manifest(headroom_home / "integrations" / f"claude-{name}-{digest}.json")


def read_object(path: Path) -> tuple[bytes | None, dict[str, Any]]:
    """The file's bytes (None when it does not exist) and its JSON object ({} then)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    if not raw.strip():
        return raw, {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ClaudeConfigError(
            f"{path} is not valid JSON ({exc}); fix or move it, then run this again"
        ) from exc
    if not isinstance(data, dict):
        raise ClaudeConfigError(f"{path} does not hold a JSON object; fix or move it first")
    return raw, data


def render(data: dict[str, Any]) -> bytes:
    """JSON as Claude Code writes it: two-space indent, UTF-8, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n"


def apply(path: Path, change: Change, manifest: Manifest, *, note: dict[str, Any]) -> bool:
    """Apply `change` to the JSON object in `path`, keeping the original in `manifest`.

    `note` is kept in the manifest and handed back by `revert` (what else the
    install did). Returns False, and writes nothing, when `change` had nothing
    to change.
    """
    original, data = read_object(path)
    if not change(data):
        return False
    created = _missing_parents(path)
    written = render(data)
    manifest.save(
        {
            "path": str(path.absolute()),
            "original": None if original is None else base64.b64encode(original).decode(),
            "written": base64.b64encode(written).decode(),
            "created_dirs": [str(d) for d in created],
            "note": note,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, written, mode=_mode(path))
    return True


def revert(path: Path, remove: Change, manifest: Manifest) -> tuple[Reverted, dict[str, Any]]:
    """Undo `apply`: restore the original bytes, or take Headroom's entry out with `remove`.

    Returns what happened and the `note` given to `apply` ({} without a manifest).
    """
    saved = manifest.load()
    note: dict[str, Any] = dict(saved.get("note") or {}) if saved else {}
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    if saved is not None and current is not None and current == _bytes(saved["written"]):
        _restore(path, saved)
        manifest.drop()
        return Reverted.RESTORED, note
    manifest.drop()
    if current is None:
        return Reverted.ABSENT, note
    _, data = read_object(path)
    if not remove(data):
        return Reverted.ABSENT, note
    _write_atomic(path, render(data), mode=_mode(path))
    return Reverted.REMOVED, note


def _restore(path: Path, saved: dict[str, Any]) -> None:
    if saved.get("original") is None:
        path.unlink(missing_ok=True)
        for folder in saved.get("created_dirs") or []:
            _remove_if_empty(Path(folder))
        return
    _write_atomic(path, _bytes(saved["original"]), mode=_mode(path))


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _missing_parents(path: Path) -> list[Path]:
    """The folders above `path` that do not exist yet, deepest first."""
    missing = []
    for parent in path.absolute().parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


def _bytes(encoded: str) -> bytes:
    return base64.b64decode(encoded.encode())


def _mode(path: Path) -> int:
    """The file's permission bits, or 0o644 for a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o644


def _write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.headroom-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        _write_all(fd, data)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
