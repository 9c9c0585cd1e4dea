"""Calibration of the historical scenario by history matching, the calibrated ensemble, and error per figure.

``python -m experiments.calibrate [--quick] [--targets F13,F14,...] [--jobs N] [--out DIR]``

The package, by concern: ``targets`` (the declared figures: targets and held out), ``study``
(factors, sizes, stopping rules), ``emulate`` (a Gaussian process per target, leave-one-out
checks), ``waves`` (implausibility, the waves, the runs through ``experiments.runner``),
``ensemble`` (the non-implausible points saved as ``simcli/configs/calibration/pNN.yaml``),
``errors`` (the error table, compared with the previous revision's), ``figures`` and ``report``.
Method and results: docs/calibration.md.
"""

from experiments.calibrate.report import main

__all__ = ["main"]
