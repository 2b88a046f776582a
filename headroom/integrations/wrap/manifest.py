"""What `headroom wrap --persist` changed, so `headroom unwrap` can undo it exactly.

Before wrap first changes a file it records the file's original bytes (or that
it did not exist) in `<headroom home>/wrap/<agent>.json`, together with the
bytes it wrote and any folders it had to create. `restore` puts every
original back byte for byte, deletes files that did not exist and removes the
folders wrap created (when they are empty), then forgets the manifest.

A second persisted wrap keeps the first original: the manifest always leads
back to the state before Headroom touched anything. If the user (or the
agent) edited a file after wrap wrote it, `restore` still puts the original
back, but first keeps the edited copy beside it as `<name>.headroom-unwrap.bak`
and says so, so nothing the user wrote is lost.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

BACKUP_SUFFIX = ".headroom-unwrap.bak"


@dataclass(frozen=True)
class Entry:
    """One file wrap changed: its original bytes (None: it did not exist) and what wrap wrote."""

    path: Path
    original: bytes | None
    written: bytes
    created_dirs: tuple[Path, ...] = ()


def manifest_path(home: Path, agent: str) -> Path:
    return home / "wrap" / f"{agent}.json"


def load(home: Path, agent: str) -> list[Entry]:
    """The recorded changes for `agent`, oldest first ([] when there are none)."""
    path = manifest_path(home, agent)
    if not path.is_file():
        return []
    return [_entry(item) for item in orjson.loads(path.read_bytes())["files"]]


def write(home: Path, agent: str, path: Path, data: bytes) -> None:
    """Write `data` to `path` for `agent`, recording the original bytes first."""
    entries = {e.path: e for e in load(home, agent)}
    previous = entries.get(path)
    created = _create_parents(path)
    original = previous.original if previous else _read(path)
    kept_dirs = previous.created_dirs if previous else created
    # Write in place (not replace): a symlinked settings file stays a symlink.
    path.write_bytes(data)
    entries[path] = Entry(path, original, data, kept_dirs)
    _save(home, agent, list(entries.values()))


def restore(home: Path, agent: str) -> list[str]:
    """Put back every file wrap changed for `agent`; one line per file, [] if none."""
    done = [_restore(entry) for entry in reversed(load(home, agent))]
    manifest_path(home, agent).unlink(missing_ok=True)
    return done


def _restore(entry: Entry) -> str:
    current = _read(entry.path)
    note = ""
    if current is not None and current != entry.written:
        backup = entry.path.with_name(entry.path.name + BACKUP_SUFFIX)
        backup.write_bytes(current)
        note = f" (it had changed since wrap; that copy is in {backup})"
    if entry.original is None:
        entry.path.unlink(missing_ok=True)
        for folder in reversed(entry.created_dirs):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return f"removed {entry.path}, which wrap had created{note}"
    entry.path.write_bytes(entry.original)
    return f"restored {entry.path} to what it was before wrap{note}"


def _create_parents(path: Path) -> tuple[Path, ...]:
    missing = [p for p in reversed(path.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    return tuple(missing)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _save(home: Path, agent: str, entries: list[Entry]) -> None:
    path = manifest_path(home, agent)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"files": [_json(e) for e in entries]}
    path.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))


def _json(entry: Entry) -> dict[str, Any]:
    return {
        "path": str(entry.path),
        "original": None if entry.original is None else _b64(entry.original),
        "written": _b64(entry.written),
        "created_dirs": [str(p) for p in entry.created_dirs],
    }


def _entry(item: dict[str, Any]) -> Entry:
    original = item["original"]
    return Entry(
        path=Path(item["path"]),
        original=None if original is None else base64.b64decode(original),
        written=base64.b64decode(item["written"]),
        created_dirs=tuple(Path(p) for p in item.get("created_dirs", [])),
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
