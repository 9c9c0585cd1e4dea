"""Golden baseline: a fixed small run must reproduce the committed summary exactly.

A deliberate change to the model's results regenerates it with tests/golden/regenerate.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))

from regenerate import GOLDEN, baseline  # noqa: E402


def test_small_run_matches_the_golden_baseline():
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(baseline()))
    changed = {
        k: (expected.get(k), actual.get(k)) for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k)
    }
    assert not changed, f"results changed (regenerate only if intended): {changed}"
