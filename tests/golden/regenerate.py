"""Regenerate the golden baseline: ``python tests/golden/regenerate.py``.

Run it only when a change is meant to alter the model's results, and say why in the
commit. ``tests/test_golden.py`` compares a fixed small run with this file exactly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conftest import run_small  # noqa: E402

GOLDEN = HERE / "small_seed7.json"
VOLATILE = ("wall_seconds", "git_revision", "version")


def baseline() -> dict:
    """Summary of the small scenario with seed 7, without what changes from run to run."""
    summary = run_small(7).summary
    return {k: v for k, v in summary.items() if k not in VOLATILE}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(baseline(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
