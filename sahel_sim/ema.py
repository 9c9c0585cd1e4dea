"""The model as an EMA Workbench model: uncertainties, levers and outcomes from the model's own tables.

EMA Workbench (``pip install "sahel-sim[ema]"``) keeps uncertainties (the scenario), levers (the
policy) and outcomes apart, and says for each outcome whether more is better. Here all three
come from the model: uncertainties are the parameters marked ``assumption`` in the parameter
table (``docs/parameters.md``), each uniform over its range; levers are the policies' intensities
and switches; outcomes are the registry's (:mod:`sim.outcomes`), minimised or maximised as
their ``better`` says. PRIM, feature scoring and EMA's optimisers then work in a few lines::

    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim
    from sahel_sim.ema import build_model

    model = build_model("scenario=small", steps=26, uncertainties=["scenario.officials.integrity_mean"])
    experiments, outcomes = perform_experiments(model, scenarios=16)
    x = experiments[["scenario__officials__integrity_mean"]].astype(float)
    box = prim.Prim(x, outcomes["fatalities"] > 100).find_box()

EMA needs Python identifiers as names: a dotted key becomes ``__``-separated
(``scenario.officials.integrity_mean`` is ``scenario__officials__integrity_mean``);
:func:`key` and :func:`name` convert.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from ema_workbench import (
    BooleanParameter,
    CategoricalParameter,
    IntegerParameter,
    Model,
    RealParameter,
    ScalarOutcome,
)

import sahel_sim
from sim.params import RunConfig, iter_params
from sim.policies import POLICIES

SEP = "__"


def name(dotted: str) -> str:
    """EMA's name of a dotted key (``a.b.c`` -> ``a__b__c``)."""
    return dotted.replace(".", SEP)


def key(ema_name: str) -> str:
    """The dotted key of an EMA name."""
    return ema_name.replace(SEP, ".")


def uncertainties(keys: Iterable[str] | None = None, prefix: str = "scenario.") -> list:
    """Parameters marked ``assumption`` in the parameter table, each over its assumption range.

    Args:
        keys: Dotted keys to include (all assumptions under ``prefix`` by default).
        prefix: ``scenario.`` for the model's assumptions, ``policy.`` for the policies'.

    Raises:
        KeyError: For a key that is not an assumption with a numeric range.
    """
    ranges = {}
    for k, f, default in iter_params(RunConfig):
        rng = f.metadata.get("assumption")
        if rng is None or isinstance(default, bool) or not isinstance(default, (int, float)):
            continue
        ranges[k] = (rng, isinstance(default, int))
    wanted = list(keys) if keys is not None else [k for k in ranges if k.startswith(prefix)]
    unknown = [k for k in wanted if k not in ranges]
    if unknown:
        raise KeyError(f"not an assumption with a range (see docs/parameters.md): {', '.join(unknown)}")
    out = []
    for k in wanted:
        (lo, hi), integer = ranges[k]
        cls = IntegerParameter if integer else RealParameter
        out.append(cls(name(k), int(lo) if integer else float(lo), int(hi) if integer else float(hi)))
    return out


def levers(policies: Sequence[str] | None = None, max_intensity: float = 3.0) -> list:
    """Each policy's intensity (0 to ``max_intensity``; 0 is off) and its own switches and choices.

    Args:
        policies: Policy names (``border_control``, ...); all fourteen by default.
        max_intensity: Upper end of the intensities.
    """
    names = list(policies) if policies is not None else list(POLICIES)
    unknown = [p for p in names if p not in POLICIES]
    if unknown:
        raise KeyError(f"unknown policies: {', '.join(unknown)}; known: {', '.join(POLICIES)}")
    out = []
    for k, f, default in iter_params(RunConfig):
        parts = k.split(".")
        if len(parts) != 3 or parts[0] != "policy" or parts[1] not in names:
            continue
        if parts[2] == "intensity":
            out.append(RealParameter(name(k), 0.0, float(max_intensity)))
        elif isinstance(default, bool) and parts[2] != "enabled":
            out.append(BooleanParameter(name(k)))
        elif f.metadata.get("choices"):
            out.append(CategoricalParameter(name(k), list(f.metadata["choices"])))
    return out


def outcomes(names: Iterable[str] | None = None, *, tag: str | None = None, config: RunConfig | None = None) -> list:
    """Registry outcomes as EMA's scalar outcomes: ``better`` higher is maximised, lower minimised.

    Args:
        names: Outcome names; by default every outcome with a direction (or with ``tag``).
        tag: Only outcomes carrying this tag (see :data:`sim.outcomes.TAGS`).
        config: Configuration whose goods and places name the per-good and per-crossing outcomes.
    """
    table = sahel_sim.outcomes(tag, config=config)
    if names is not None:
        wanted = list(names)
        unknown = sorted(set(wanted) - set(table["name"]))
        if unknown:
            raise KeyError(f"unknown outcomes: {', '.join(unknown)}")
        table = table.set_index("name").loc[wanted].reset_index()
    elif tag is None:
        table = table[table["direction"].notna()]
    kinds = {"higher": ScalarOutcome.MAXIMIZE, "lower": ScalarOutcome.MINIMIZE}
    return [
        ScalarOutcome(name(n), kind=kinds.get(d, ScalarOutcome.INFO))
        for n, d in zip(table["name"], table["direction"], strict=True)
    ]


def _set(tree: dict, dotted: str, value: object) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        tree = tree.setdefault(k, {})
    tree[keys[-1]] = value


def run_function(base: RunConfig, outcome_names: Sequence[str]):
    """The function EMA calls: one run of ``base`` with the experiment's values set; the outcomes' totals.

    A lever ``policy.<name>.intensity`` above 0 switches its policy on; at 0 the policy is off.
    """
    from sim.params import from_dict, to_dict
    from sim.run import run

    def experiment(**values):
        data = to_dict(base)
        seed = values.pop("seed", None)
        for ema_name, value in values.items():
            k = key(ema_name)
            _set(data, k, value.item() if hasattr(value, "item") else value)
            parts = k.split(".")
            if parts[0] == "policy" and parts[-1] == "intensity":
                data["policy"][parts[1]]["enabled"] = float(value) > 0
        if seed is not None:
            data["seed"] = int(seed)
        config = from_dict(RunConfig, data)
        summary = run(dataclasses.replace(config, seeds=1)).summary
        return {name(o): summary[o] for o in outcome_names}

    return experiment


def build_model(
    *overrides: str,
    uncertainties: Iterable[str] | None = None,
    levers: Sequence[str] | None = (),
    outcomes: Iterable[str] | None = None,
    tag: str | None = None,
    seed_uncertain: bool = True,
    model_name: str = "sahel",
    **params: object,
) -> Model:
    """An EMA Workbench model of a preset: runs it with each experiment's uncertainties and levers set.

    Args:
        *overrides: The base configuration as on the command line (``"scenario=small"``, ``"experiment=..."``).
        uncertainties: Dotted keys of assumptions to vary; every scenario assumption by default.
        levers: Policies whose intensity and switches become levers (none by default; None for all).
        outcomes: Outcome names; by default every outcome with a direction (or those with ``tag``).
        tag: Outcomes carrying this tag.
        seed_uncertain: Add the seed as an uncertainty (``seed``, 0 to 2**31 - 1), as the sensitivity
            study does: a stochastic model's noise is then one more factor, not hidden in a fixed seed.
        model_name: EMA's name for the model (an identifier).
        **params: Top-level parameters as keywords (``seed=1``, ``steps=26``).
    """
    base = sahel_sim.compose(*overrides, **params)
    base = dataclasses.replace(base, output=dataclasses.replace(base.output, progress=False))
    ema_outcomes = _outcomes(outcomes, tag=tag, config=base)
    model = Model(model_name, function=run_function(base, [key(o.name) for o in ema_outcomes]))
    seed = [IntegerParameter("seed", 0, 2**31 - 1)] if seed_uncertain else []
    model.uncertainties = _uncertainties(uncertainties) + seed
    model.levers = _levers(levers) if levers is None or list(levers) else []
    model.outcomes = ema_outcomes
    return model


_uncertainties, _levers, _outcomes = uncertainties, levers, outcomes
