"""Pattern suite and historical validation: ``python -m experiments.validate [--quick]``.

Part 1, the pattern suite: for each mechanism of FACTS.md part B that the model covers, an
experiment compares arms (configurations) run with the same seeds. Each statistic is a paired
effect per seed (the treatment arm minus its reference, or that difference over the reference's
mean), summarised by its mean and a 95% t-interval over seeds, and judged against a criterion
stated here before the runs: the interval lies below zero, above zero, or inside an equivalence
band (for "little effect" claims), judged at the design's minimum detectable effect at 80% power
when the band is wider. Each claim is classified (``classification``) as *evidence* (the statistic emerges from
several interacting decisions) or a *rule check* (one rule writes it; tested exactly in
``tests/test_rule_checks.py``); an evidence claim passes when all its evidence statistics do, and
the pass rate counts evidence only.

Part 2, the historical scenario (``scenario=history``, 2012 onward, FACTS.md part C): the
figures of FACTS.md part A the model can speak to, with the model's mean and 95% range over
seeds, a stated tolerance and match or mismatch; and the counterfactual presets
(``simcli/configs/experiment/history_*.yaml``) against the history, paired by seed.

The full run writes ``docs/validation.md`` and ``docs/figures/validation_*.png``; raw per-run
values go to ``multirun/validation/`` (runs.parquet, history.parquet, statistics.csv).
``--quick`` (CI) runs every experiment with a few seeds and weeks into ``multirun/validation-quick``
and only checks that each produces finite effects and a table: its pass/fail means nothing.

Criteria are never tuned to the results, nor are the model's parameters: where a pattern does
not emerge the report says so, with the mechanism that is likely missing (``NOTES``).

The package, by concern: ``arms`` (modes and configurations), ``measures`` (one run's measures
from its outputs), ``criteria`` (statistics, criteria, minimum detectable effects), ``catalogue``
(the patterns), ``classification`` (rule check or evidence, by claim),
``history`` (FACTS figures and counterfactuals), ``runs`` (the runs, through
``experiments.runner``, and the tables), ``figures`` and ``report`` (the Markdown and the
command line).

Part 2 runs at the calibrated ensemble by default (seed ``s`` at point ``s mod n`` of
``simcli/configs/calibration/``, issue 16); ``--uncalibrated`` runs the parameters' defaults.
"""

from experiments.validate.arms import *  # noqa: F403
from experiments.validate.catalogue import *  # noqa: F403
from experiments.validate.criteria import *  # noqa: F403
from experiments.validate.figures import *  # noqa: F403
from experiments.validate.history import *  # noqa: F403
from experiments.validate.measures import *  # noqa: F403
from experiments.validate.report import *  # noqa: F403
from experiments.validate.report import main
from experiments.validate.runs import *  # noqa: F403

__all__ = ["main"]
