"""The documentation site builds from docs/ and the docstrings, with no broken page or reference (--strict)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("mkdocs")  # the [docs] extra; the test extra includes it, so CI builds the site
pytest.importorskip("mkdocstrings")


def test_site_builds_strictly(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    api = (tmp_path / "site" / "reference" / "sahel_sim" / "index.html").read_text(encoding="utf-8")
    assert "sahel_sim.compose" in api and "observers" in api  # rendered from the docstrings
    assert (tmp_path / "site" / "notebooks" / "one_run.ipynb").is_file()
