"""sahel-sim: an agent-based model of illicit economies in Mali and the Sahel.

The package is importable without Hydra: the command line lives in ``simcli``.
"""

__version__ = "0.1.0"
