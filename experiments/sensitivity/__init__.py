"""Sensitivity of key outcomes to the model's assumptions: Morris screening, then Sobol.

``python -m experiments.sensitivity morris|sobol|report [--quick] [--out DIR] [--docs DIR] [--jobs N]``

- ``morris`` screens every numeric parameter marked ``assumption`` in the parameter dataclasses
  (``sim.paramspec.iter_params``), with the seed as one more factor, in two designs: ``model``
  (the scenario's assumptions, no policy) and ``policies`` (the policies' assumptions, with every
  policy switched on at its simcli/configs/policy/ settings: they act only when their policy runs).
- ``sobol`` estimates first-order and total Sobol indices (Saltelli sampling) of the factors that
  matter: the union of each key outcome's top factors by Morris mu*, plus the seed.
- ``report`` writes ``docs/sensitivity.md`` and its figures from the saved results.

Runs go through ``experiments.runner`` (``sim.sweep``'s blocks: hashed run directories under
``<out>/morris_<design>/`` and ``<out>/sobol/``, so a killed design resumes where it stopped), not
through Hydra's sweeper: Morris and Sobol designs are not grids, so a sweeper cannot express them.
``simcli/configs/experiment/sensitivity_morris.yaml`` holds the base point (scenario and horizon) and,
as a Hydra sweep, runs that point over seeds (the noise floor).

**The seed as a factor.** Model outcomes are stochastic. The seed enters as a factor on [0, 1]:
in Morris its levels pick one of four seeds of a block that differs between trajectories, so its
elementary effects measure the change a new seed alone makes; a factor whose mu* is not above the
seed's cannot be told from noise at this horizon. In Sobol its indices give the share of variance
that is noise.

Goods' assumptions (prices, supply, capacities, detectability in ``sim/world/data/goods.yaml``)
are data, not configuration parameters, and are not in these designs.

The package, by concern: ``design`` (factors, settings, sample configurations, running a
design), ``analysis`` (Morris and Sobol indices), ``runs`` (the morris and sobol commands),
``figures`` and ``report`` (the Markdown, its findings in ``findings.md``, and the command line).
"""

from experiments.sensitivity.analysis import *  # noqa: F403
from experiments.sensitivity.design import *  # noqa: F403
from experiments.sensitivity.figures import *  # noqa: F403
from experiments.sensitivity.report import *  # noqa: F403
from experiments.sensitivity.report import main
from experiments.sensitivity.runs import *  # noqa: F403

__all__ = ["main"]
