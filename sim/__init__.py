"""sahel-sim: an agent-based model of illicit economies in Mali and the Sahel.

The package is importable without Hydra: the command line lives in ``simcli``.
"""

import os

# The compiled kernels' exp, log and pow are the C library's, the same on every CPU; numba would
# take Intel's SVML for vectorized loops where it is installed (differing in the last bit), so it
# is off unless the user set it (docs/reliability.md; checked in sim.compiled).
os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

__version__ = "0.1.0"
