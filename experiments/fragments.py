"""Prose about results lives in Markdown fragments beside the code that writes the report.

A fragment is plain Markdown a writer edits without touching Python: ``## KEY`` sections (text
per experiment or figure id) or a list of ``- `` items. Wrapped lines are joined with a space,
so the report gets each section or item as one paragraph; ``<!-- ... -->`` comments are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _lines(path: Path) -> list[str]:
    return _COMMENT.sub("", path.read_text(encoding="utf-8")).splitlines()


def sections(path: Path) -> dict[str, str]:
    """``## KEY`` sections of a fragment, each as one paragraph."""
    out: dict[str, list[str]] = {}
    key = None
    for line in _lines(path):
        if line.startswith("## "):
            key = line[3:].strip()
            out[key] = []
        elif key is not None and line.strip():
            out[key].append(line.strip())
    return {k: " ".join(v) for k, v in out.items()}


def items(path: Path) -> list[str]:
    """The ``- `` list items of a fragment, each as one line."""
    out: list[str] = []
    for line in _lines(path):
        if line.startswith("- "):
            out.append(line)
        elif line.startswith("  ") and line.strip() and out:
            out[-1] += " " + line.strip()
    return out
