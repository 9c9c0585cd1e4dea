"""A run's seal: ``manifest.json`` lists the size and SHA-256 of each output file.

A run counts as finished only when its manifest is present and every file it lists has that
size and digest. Files are flushed to disk (``fsync``) before they are renamed into place, and
the directory after, so a power cut leaves either the old state or the new one, never an empty
file under a final name that would be taken for a result; a file truncated or altered later
(a full disk, a copy cut short, a hand edit) fails the check, and resume redoes the run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

MANIFEST = "manifest.json"
CHUNK = 1 << 20


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (the renames in it) to disk; a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_durable(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file: write, fsync, rename, fsync the directory."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def digest(path: Path) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex digest) of a file."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def seal(outdir: Path, names: list[str], write: Callable[[Path, Callable[[Path], None]], None] = write_durable) -> None:
    """Write the manifest of ``names`` (files already in ``outdir``), last of all."""
    files = {}
    for name in names:
        size, sha = digest(outdir / name)
        files[name] = {"bytes": size, "sha256": sha}
    body = json.dumps({"files": files}, indent=1, sort_keys=True) + "\n"
    write(outdir / MANIFEST, lambda p: p.write_text(body, encoding="utf-8"))


def problems(outdir: Path, *, checksums: bool = True) -> list[str]:
    """What is wrong with a run directory's files; empty if the manifest verifies.

    Args:
        outdir: The run directory.
        checksums: Also compare digests (reads every file); else sizes only (one ``stat`` each).
    """
    path = Path(outdir) / MANIFEST
    if not path.exists():
        return [f"no {MANIFEST} (not finished)"]
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        expected = {name: (int(v["bytes"]), str(v["sha256"])) for name, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return [f"{MANIFEST} unreadable"]
    out = []
    for name, (size, sha) in sorted(expected.items()):
        file = Path(outdir) / name
        if not file.is_file():
            out.append(f"{name} missing")
            continue
        try:
            got_size, got_sha = digest(file) if checksums else (file.stat().st_size, sha)
        except OSError as exc:
            out.append(f"{name} unreadable ({exc.strerror})")
            continue
        if got_size != size:
            out.append(f"{name} has {got_size} bytes, expected {size}")
        elif got_sha != sha:
            out.append(f"{name} altered (checksum differs)")
    return out


def verified(outdir: Path) -> bool:
    """Whether the run in ``outdir`` finished and its files are intact."""
    return not problems(outdir)
