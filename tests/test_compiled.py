"""The compiled kernels' ground rules (sim.compiled): the draws inside a kernel are numpy's stream."""

import math

import numpy as np
import pytest

from sim.compiled import clip01, kernel, np_maximum, np_minimum, pairwise_sum


@kernel
def _uniforms_and_poissons(rng, lam):
    out = np.empty((lam.size, 2))
    for i in range(lam.size):
        out[i, 0] = rng.random()
        out[i, 1] = rng.poisson(lam[i])
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_draws_in_a_kernel_are_numpys_stream(seed):
    """Uniforms and Poissons (small and large means) drawn in a kernel equal numpy's, and so does the stream after."""
    lam = np.random.default_rng(100 + seed).uniform(0.0, 40.0, 3000)
    lam[::7] = 0.0
    compiled, plain = np.random.default_rng(seed), np.random.default_rng(seed)
    got = _uniforms_and_poissons(compiled, lam)
    want = np.array([(plain.random(), plain.poisson(x)) for x in lam])
    assert np.array_equal(got, want)
    assert compiled.random() == plain.random()


@kernel
def _divide(a, b):
    return a / b


def test_division_by_zero_follows_numpy_not_python():
    """error_model='numpy': 1/0 is inf, as a numpy array division gives, not ZeroDivisionError."""
    assert _divide(1.0, 0.0) == np.inf


def test_pairwise_sum_is_numpys_sum_bit_for_bit():
    """3,000 arrays of 0 to 2,000 values over nine orders of magnitude, with signs: np.sum's bits each time."""
    rng = np.random.default_rng(7)
    for _ in range(3000):
        n = int(rng.integers(0, 2000))
        values = rng.normal(size=n) * 10.0 ** rng.uniform(-3, 6, n)
        assert pairwise_sum(values) == np.sum(values), n
    assert pairwise_sum(np.array([np.nan, 1.0])) != pairwise_sum(np.array([np.nan, 1.0]))  # nan stays nan


_FROM_CACHE = """
import numpy as np
from sim.compiled import clip01, kernel, np_maximum, np_minimum, pairwise_sum

@kernel
def twice(values):
    return 2.0 * pairwise_sum(values)

values = np.random.default_rng(3).normal(size=5000)
assert twice(values) == 2.0 * np.sum(values)
print("ok")
"""


def test_pairwise_sum_called_from_a_kernel_loads_from_the_cache(tmp_path):
    """A kernel calling pairwise_sum works when both come from numba's cache (a recursive form crashed there)."""
    import subprocess
    import sys

    script = tmp_path / "calls_pairwise.py"
    script.write_text(_FROM_CACHE)
    for _ in range(2):  # the first process compiles and caches, the second loads
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 255, 256, 1000, 4099, 100_000])
def test_pairwise_sum_at_the_block_edges_with_negative_zeros_and_nan(n):
    """Numpy's pairwise summation, bit for bit, with negative zeros, NaN and wide magnitudes."""
    rng = np.random.default_rng(n)
    for case in range(20):
        values = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)
        if n:
            values[rng.integers(0, n, 1 + n // 10)] = -0.0
        if case == 0 and n:
            values[rng.integers(0, n)] = np.nan
        got, want = np.float64(pairwise_sum(values)), np.add.reduce(values)
        assert got.tobytes() == want.tobytes() or (math.isnan(got) and math.isnan(want))


@pytest.mark.parametrize("n", [1, 7, 8, 9, 128, 129, 1000])
def test_pairwise_sum_of_negative_zeros_is_numpys_positive_zero(n):
    """Numpy adds the pairwise sum to 0.0, so a sum of negative zeros only is +0.0 at every length."""
    values = np.full(n, -0.0)
    assert np.float64(pairwise_sum(values)).tobytes() == np.add.reduce(values).tobytes() == np.float64(0.0).tobytes()


def test_the_kernels_cache_moves_when_any_kernel_source_changes(tmp_path, monkeypatch):
    """A changed kernel module (or this module) gives another cache directory, so no stale machine code is loaded."""
    from sim import compiled

    files = [tmp_path / "compiled.py", tmp_path / "route_kernels.py"]
    for f in files:
        f.write_text("x = 1\n")
    before = compiled.source_digest(files)
    files[1].write_text("x = 2\n")
    assert compiled.source_digest(files) != before
    assert {p.name for p in compiled.kernel_sources()} >= {"compiled.py", "kernel_rng.py", "turn_kernels.py"}
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert compiled.cache_dir().parent == tmp_path / "mine"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    import numba

    assert str(compiled.cache_dir()) == numba.config.CACHE_DIR  # what this process's kernels use


def test_clip01_is_numpys_clip_for_one_float():
    """NaN, signed zeros, the bounds, infinities and values between: np.clip's bits each time."""
    values = [np.nan, -0.0, 0.0, 1.0, -1e-300, 1.0 + 1e-16, np.inf, -np.inf, 0.3, 2.0, -5.0]
    values += list(np.random.default_rng(4).normal(0.5, 1.0, 500))
    for x in values:
        got, want = np.float64(clip01(x)), np.clip(np.array([x]), 0.0, 1.0)[0]
        assert got.tobytes() == want.tobytes() or (math.isnan(got) and math.isnan(want)), x


def test_np_minimum_and_maximum_are_numpys_with_signed_zeros_and_nan():
    """Every pair of NaN, signed zeros, infinities and values: the bits of np.minimum and np.maximum on arrays."""
    values = [np.nan, -0.0, 0.0, 1.0, -1.0, np.inf, -np.inf, 0.5]
    a = np.array([x for x in values for _ in values])
    b = np.array([y for _ in values for y in values])
    for mine, theirs in ((np_minimum, np.minimum), (np_maximum, np.maximum)):
        got = np.array([mine(x, y) for x, y in zip(a, b, strict=True)])
        want = theirs(a, b)
        assert got.tobytes() == want.tobytes() or (
            np.array_equal(got, want, equal_nan=True) and (np.signbit(got) == np.signbit(want)).all()
        )
