"""The model's transcendental functions are the C library's on every CPU (``sim.libm``).

numpy's vectorized double-precision ``exp``, ``log``, ``log1p`` and ``power`` are forms of its
own on CPUs with AVX-512 and differ from the C library's in the last bit for a few percent of
values (docs/reliability.md), and BLAS's matrix products add in an order of the CPU's kind. So a
seed's bytes would depend on the machine. Checked here, on any CPU:

* ``sim.libm``'s functions give the C library's values (Python's ``math`` calls it), and numpy's
  where numpy's are the C library's (the project's AVX2 machines), for arrays of any shape,
  scalars and broadcast arguments; ``power`` keeps numpy's exact operations at 0.5, 2 and -1;
* the model's sources call none of numpy's (a static check over ``sim/``);
* a run calls none of numpy's from the model's modules, and does call ``sim.libm`` from each
  place that needs it (so the check is not vacuous).
"""

from __future__ import annotations

import ast
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from bitwise import bits as _bits
from libm_reference import libm as elementwise
from libm_reference import numpy_is_libm

from conftest import small_config
from sim import libm
from sim.model import SahelModel

SIM = Path(__file__).resolve().parents[1] / "sim"
# numpy's functions whose vectorized forms may be the CPU's own (numpy's SIMD dispatch, SVML).
TRANSCENDENTAL = (
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "power", "float_power", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "cbrt", "hypot",
)  # fmt: skip
# ``array ** x`` at these literal exponents is an exact operation in numpy (copy, reciprocal, ones, sqrt, square).
EXACT_EXPONENTS = (0.5, 2, 2.0, -1, -1.0, 1, 1.0, 0, 0.0)
# ``@`` on scipy's sparse matrices (a C++ loop adding in row order, the same on every CPU); a dense
# product would be BLAS's. A new ``@`` in the model goes here only if it is sparse.
SPARSE_PRODUCTS = {"agents/trafficker.py": 2}


def _values(rng, n=20_000):
    return {
        "exp": rng.uniform(-40.0, 40.0, n),
        "log": np.concatenate([rng.uniform(1e-12, 1e4, n), [0.0, 1.0, np.inf]]),
        "log1p": np.concatenate([rng.uniform(-0.999999, 1e3, n), [0.0, -1.0]]),
    }


@pytest.mark.parametrize("name", ["exp", "log", "log1p"])
def test_functions_are_the_c_librarys_for_any_shape(name):
    values = _values(np.random.default_rng(7))[name]
    ours, reference = getattr(libm, name), elementwise(_C_LIBRARY[name])
    assert _bits(ours(values)) == _bits(reference(values))
    square = values[: 100 * 100].reshape(100, 100)[:, ::2]  # 2-D, not contiguous
    assert _bits(ours(square)) == _bits(reference(square))
    scalar = ours(float(values[3]))
    assert type(scalar) is np.float64 and scalar == reference(values[3:4])[0]
    if numpy_is_libm():
        with np.errstate(divide="ignore"):
            assert _bits(ours(values)) == _bits(getattr(np, name)(values))


def _pole(f, at: float):
    """``f`` with numpy's values where ``math`` raises: -inf at its pole ``at``, NaN below."""
    return lambda x: f(x) if x > at else (-math.inf if x == at else math.nan)


_C_LIBRARY = {"exp": math.exp, "log": _pole(math.log, 0.0), "log1p": _pole(math.log1p, -1.0)}


def test_log_of_zero_and_below_is_numpys_without_a_warning():
    with np.errstate(all="raise"):
        out = libm.log(np.array([0.0, -1.0, np.nan]))
        out1p = libm.log1p(np.array([-1.0, -2.0]))
    assert out[0] == -np.inf and np.isnan(out[1:]).all()
    assert out1p[0] == -np.inf and np.isnan(out1p[1])


@pytest.mark.parametrize("exponent", [-0.5, 1.5, 3.0, -2.25, 0.3])
def test_power_is_the_c_librarys_pow(exponent):
    base = np.random.default_rng(11).uniform(1e-3, 50.0, 20_000)
    expected = np.array([math.pow(b, exponent) for b in base])
    assert _bits(libm.power(base, exponent)) == _bits(expected)
    assert _bits(libm.power(base.reshape(100, 200), exponent)) == _bits(expected.reshape(100, 200))
    if numpy_is_libm():
        assert _bits(libm.power(base, exponent)) == _bits(base**exponent)


@pytest.mark.parametrize("exponent", [0.5, 2, 2.0, -1, -1.0, 1.0, 0])
def test_power_keeps_numpys_exact_operations(exponent):
    base = np.random.default_rng(12).uniform(1e-3, 50.0, 20_000)
    assert _bits(libm.power(base, exponent)) == _bits(base**exponent)
    # and they are not pow's: at 0.5, 2 and -1 the C library's pow differs somewhere (which is why they are kept)
    if exponent in (0.5, 2, -1):
        assert _bits(np.array([math.pow(b, exponent) for b in base])) != _bits(base**exponent)


def test_power_broadcasts_scalars_and_integer_exponents_as_numpy():
    ties = np.random.default_rng(13).integers(0, 12, 5_000)
    expected = np.array([math.pow(0.3, float(t)) for t in ties])  # numpy's float power of an int array
    assert _bits(libm.power(0.3, ties)) == _bits(expected)
    grid = libm.power(np.array([[2.0], [3.0]]), np.array([1.5, 2.5, -0.5]))
    assert grid.shape == (2, 3) and grid[1, 2] == math.pow(3.0, -0.5)
    scalar = libm.power(2.0, 2.0)  # both scalars: pow, as numpy's scalar power calls it
    assert type(scalar) is np.float64 and scalar == math.pow(2.0, 2.0)
    with pytest.raises(ValueError):
        libm.power(np.ones(3), np.ones(4))


@pytest.mark.parametrize(
    ("base", "exponent"),
    [
        (np.zeros(0), 1.5),  # an empty side: an empty result of its shape
        (0.7, np.zeros((0, 3))),
        (np.array([0.7]), 1.5),  # one value on each side, in arrays
        (np.array([0.7]), np.array([1.5])),
        (np.array([[0.7, 0.2], [0.9, 0.4]]), 1.5),  # a scalar side, the other 2-D or strided
        (0.7, np.arange(12.0).reshape(3, 4)[:, ::2]),
        (np.arange(1.0, 7.0).reshape(2, 3), np.arange(6.0).reshape(2, 3) / 4),  # the same shapes
        (np.array([0.7]), np.arange(4.0)),  # one value against many, in arrays: numpy's broadcasting
        (np.arange(1.0, 5.0), np.array([1.5])),
    ],
)
def test_power_takes_a_scalar_side_without_broadcasting_and_keeps_numpys_shapes(base, exponent):
    """The kernel takes a one-value side for every position (fourteenth pass): shapes and bits as numpy's."""
    shape = np.broadcast_shapes(np.shape(base), np.shape(exponent))
    b, e = np.broadcast_arrays(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))
    expected = np.array([math.pow(x, y) for x, y in zip(b.ravel(), e.ravel(), strict=True)]).reshape(shape)
    got = libm.power(base, exponent)
    assert got.shape == shape and got.dtype == np.float64
    assert _bits(got) == _bits(expected)


def _model_sources():
    for path in sorted(SIM.rglob("*.py")):
        if path.name not in ("libm.py",):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _compiled(node) -> bool:
    """Whether a function is a numba kernel (numba's functions are the C library's)."""
    return any(isinstance(d, ast.Name) and d.id == "kernel" for d in getattr(node, "decorator_list", ()))


def _outside_kernels(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if not _compiled(child):
                yield child
                stack.append(child)


def test_the_model_takes_none_of_numpys_transcendental_functions_or_dense_products():
    found, products = [], Counter()
    for path, tree in _model_sources():
        where = path.relative_to(SIM).as_posix()
        for node in _outside_kernels(tree):
            if isinstance(node, ast.Attribute) and node.attr in TRANSCENDENTAL:
                if isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy"):
                    found.append(f"{where}:{node.lineno} np.{node.attr}")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                literal = isinstance(node.right, ast.Constant) and node.right.value in EXACT_EXPONENTS
                both_literal = isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant)
                python_float = (
                    isinstance(node.left, ast.Call)
                    and isinstance(node.left.func, ast.Name)
                    and node.left.func.id == "float"
                )
                if not (literal or both_literal or python_float):
                    found.append(f"{where}:{node.lineno} ** {ast.unparse(node.right)}")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                products[where] += 1
    assert not found, "use sim.libm (or float(x) ** y for Python floats): " + ", ".join(found)
    assert dict(products) == SPARSE_PRODUCTS, "a dense @ adds in BLAS's order of the CPU's kind: sum the products"


def test_a_run_calls_none_of_numpys_and_sim_libm_where_it_needs_it(monkeypatch):
    """Calls watched with ``sys.monitoring`` (numpy is not patched: numba reads its ufuncs when loading kernels)."""
    ufuncs = {getattr(np, name): name for name in TRANSCENDENTAL}
    numpy_callers, libm_callers = Counter(), Counter()

    def on_call(code, _offset, called, _arg0):
        name = ufuncs.get(called) if isinstance(called, np.ufunc) else None
        if name is not None and code.co_filename.startswith(str(SIM)):
            numpy_callers[f"{code.co_filename}: {code.co_qualname}: {name}"] += 1

    def watched(f, name):
        def call(*args, **kwargs):
            frame = sys._getframe(1)
            libm_callers[f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}: {name}"] += 1
            return f(*args, **kwargs)

        return call

    for name in ("exp", "log", "log1p", "power"):
        monkeypatch.setattr(libm, name, watched(getattr(libm, name), name))
    tool = next(i for i in (3, 4, 2) if sys.monitoring.get_tool(i) is None)
    sys.monitoring.use_tool_id(tool, "test_libm")
    sys.monitoring.register_callback(tool, sys.monitoring.events.CALL, on_call)
    sys.monitoring.set_events(tool, sys.monitoring.events.CALL)
    try:
        _run_watched()
    finally:
        sys.monitoring.set_events(tool, 0)
        sys.monitoring.register_callback(tool, sys.monitoring.events.CALL, None)
        sys.monitoring.free_tool_id(tool)
    assert not numpy_callers, f"numpy's functions called by the model: {dict(numpy_callers)}"
    needed = {
        "sim.market.Market.update_prices: power",
        "sim.agents.official.Officials._logs: log1p",
        "sim.agents.official.Officials._weigh: exp",
        "sim.agents.trafficker.Crews._keep_of: power",
        "sim.collection.RouteEntropy.values: log",
    }
    assert needed <= set(libm_callers), f"not reached in the run: {needed - set(libm_callers)}"


def _run_watched() -> None:
    config = small_config(seed=3, steps=156)
    model = SahelModel(config.scenario, seed=config.seed, policy=config.policy)
    for _ in range(156):
        model.step()
