"""The arms of the validation: how much to run (modes) and each configuration the experiments compare."""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.names import GroupKind
from sim.world import load_world
from sim.world.tables import DATA_DIR
from simcli.compose import changed, sweep_overrides

ROOT = Path(__file__).resolve().parent.parent.parent


ROOT = Path(__file__).resolve().parent.parent.parent
TRADE_SOURCES = ("tolls", "protection", "trafficking")
KINDS = tuple(k.name.lower() for k in GroupKind)
OFF = {"armed_groups": False, "officials": False, "communities": False, "forces": False}


@dataclass(frozen=True)
class Mode:
    """How much to run: seeds and weeks per family of arms."""

    name: str
    seeds: int
    weeks: int
    core_weeks: int
    history_seeds: int
    history_weeks: int | None  # None: the scenario's own horizon

    @property
    def quick(self) -> bool:
        """Whether this is the CI mode (results mean nothing)."""
        return self.name == "quick"


FULL = Mode("full", seeds=20, weeks=156, core_weeks=156, history_seeds=20, history_weeks=729)
QUICK = Mode("quick", seeds=3, weeks=26, core_weeks=26, history_seeds=2, history_weeks=None)

# --- arms ------------------------------------------------------------------------------------------

PATTERN_SCENARIO = {"name": "validation", "supply_scale": 0.3}
CORE_SCENARIO = {"name": "validation-core", "supply_scale": 0.1, "actors": OFF}
# By id, the crossings between Mali and Algeria (what targets=["Algeria"] selects since issue 21;
# before it, the name matched the region "Algeria" of places abroad and selected no crossing).
ALGERIAN_CROSSINGS = ("in_khalil", "tinzaouaten")
HIGH_VALUE = ("cocaine", "cannabis_resin", "cigarettes", "arms", "gold")  # goods that buy protection (M3)
ALL_GOODS = tuple(g.id for g in load_world("").goods)  # the "without X" arms keep every other good


def _on(**fields) -> dict:
    return {"enabled": True, **fields}


def _without(*goods: str) -> dict:
    return {"goods": [g for g in ALL_GOODS if g not in goods]}


@dataclass(frozen=True)
class Arm:
    """A configuration run with every seed of an experiment.

    Attributes:
        name: Short name.
        label: What it is, for tables.
        family: ``pattern`` (three-tenths default economy), ``core`` (traffickers and stand-in
            checkpoints only) or ``history`` (the historical scenario).
        scenario: Scenario overrides on top of the family's scenario.
        policy: Policy settings.
        goods: Edits of goods.yaml (good -> field -> multiplier), run from a copy of the data.
        preset: The arm is the last job of the sweep of ``simcli/configs/experiment/<name>.yaml``
            (a counterfactual is defined there once); ``scenario`` and ``policy`` are then empty.
    """

    name: str
    label: str
    family: str = "pattern"
    scenario: dict = field(default_factory=dict)
    policy: dict = field(default_factory=dict)
    goods: dict = field(default_factory=dict)
    preset: bool = False

    def overrides(self) -> list[str]:
        """Hydra overrides of a preset arm (empty for the others)."""
        return sweep_overrides(self.name)[-1] if self.preset else []


ARMS = {
    a.name: a
    for a in [
        Arm("base", "no policy"),
        Arm("bc_blunt", "border control x2, not crime-sensitive", policy={"border_control": _on(intensity=2)}),
        Arm(
            "bc_sens",
            "border control x2, crime-sensitive",
            policy={"border_control": _on(intensity=2, crime_sensitive=True)},
        ),
        Arm(
            "bc_alg",
            "crime-sensitive border control x2 at the Algerian crossings",
            policy={"border_control": _on(intensity=2, crime_sensitive=True, targets=list(ALGERIAN_CROSSINGS))},
        ),
        Arm(
            "bc_alg_coop",
            "the same with regional cooperation",
            policy={
                "border_control": _on(intensity=2, crime_sensitive=True, targets=list(ALGERIAN_CROSSINGS)),
                "regional_cooperation": _on(),
            },
        ),
        Arm(
            "ct_jihadist",
            "counter-terrorism x3, jihadist-labelled groups only",
            policy={"counter_terrorism": _on(intensity=2, targeting="jihadist_only")},
        ),
        Arm(
            "ct_all",
            "counter-terrorism x3, all armed groups in the trade",
            policy={"counter_terrorism": _on(intensity=2, targeting="all_armed")},
        ),
        Arm("livelihoods", "livelihood programme in the north", policy={"livelihoods": _on()}),
        Arm("ddr", "DDR alone", policy={"ddr": _on()}),
        Arm(
            "ddr_alt",
            "DDR with gold formalization and livelihoods",
            policy={"ddr": _on(), "gold_formalization": _on(), "livelihoods": _on()},
        ),
        Arm("peace", "local peace deal CMA-Platform", policy={"peace_deals": _on()}),
        Arm("ac_will", "anti-corruption, political will 0.9", policy={"anti_corruption": _on(political_will=0.9)}),
        Arm("ac_nowill", "anti-corruption, political will 0", policy={"anti_corruption": _on(political_will=0.0)}),
        Arm("capacity", "capacity building (scenario's low will)", policy={"capacity_building": _on()}),
        Arm("hub", "hub raids", policy={"hub_raids": _on()}),
        Arm(
            "hub_ignored",
            "hub raids, intelligence never acted on",
            policy={"hub_raids": _on(), "intelligence": _on(acted_on="never")},
        ),
        Arm(
            "hub_acted",
            "hub raids, intelligence acted on",
            policy={"hub_raids": _on(), "intelligence": _on(acted_on="always")},
        ),
        Arm("sanctions", "sanctions listings (3 per review)", policy={"sanctions": _on()}),
        Arm("no_drugs", "no cocaine or cannabis resin in the trade", scenario=_without("cocaine", "cannabis_resin")),
        Arm("no_other", "no cigarettes, arms or gold in the trade", scenario=_without("cigarettes", "arms", "gold")),
        Arm("no_high_value", "no high-value (protected) goods in the trade", scenario=_without(*HIGH_VALUE)),
        Arm("cig_dear", "cigarettes worth 1.5x at the sink", goods={"cigarettes": {"value_sink_usd": 1.5}}),
        Arm("arms_flood", "arms supply x3", goods={"arms": {"supply_per_week": 3.0}}),
        Arm("venal", "officials' mean integrity 0.3", scenario={"officials": {"integrity_mean": 0.3}}),
        Arm("honest", "officials' mean integrity 0.7", scenario={"officials": {"integrity_mean": 0.7}}),
        Arm("oc", "organized crime a main task of the mission", policy={"mission_mandate": _on(oc_weight=0.4)}),
        Arm("attacks", "attacks on the mission x3", scenario={"forces": {"attack_rate": 0.045}}),
        Arm(
            "oc_attacks",
            "organized crime a main task, attacks x3",
            scenario={"forces": {"attack_rate": 0.045}},
            policy={"mission_mandate": _on(oc_weight=0.4)},
        ),
        Arm(
            "no_protection",
            "no protection bought (no crew allied to a group)",
            scenario={"armed_groups": {"protection_value_per_t": 1e9}},
        ),
        Arm(
            "gold_venal",
            "gold formalization, integrity 0.3",
            scenario={"officials": {"integrity_mean": 0.3}},
            policy={"gold_formalization": _on()},
        ),
        Arm(
            "gold_honest",
            "gold formalization, integrity 0.7",
            scenario={"officials": {"integrity_mean": 0.7}},
            policy={"gold_formalization": _on()},
        ),
        Arm("core_base", "core model", family="core"),
        Arm(
            "core_in_khalil",
            "core model, checkpoint pressure x10 at In Khalil",
            family="core",
            scenario={"checkpoints": {"pressure_multiplier": {"in_khalil": 10.0}}},
        ),
        Arm("history", "history 2012-", family="history"),
        # Counterfactuals: the last job of the preset's sweep (simcli/configs/experiment/<name>.yaml).
        Arm("history_oc_priority", "organized crime a main task of MINUSMA from July 2013", "history", preset=True),
        Arm("history_no_wagner", "no Wagner", "history", preset=True),
        Arm("history_sanctions_continue", "UN sanctions do not lapse (Aug 2023)", "history", preset=True),
    ]
}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def goods_data_dir(arm: Arm, root: Path) -> Path:
    """A copy of the packaged data tables with the arm's goods edits (multipliers on values)."""
    out = root / "data" / arm.name
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(DATA_DIR, out, ignore=shutil.ignore_patterns("__pycache__"))
    goods = yaml.safe_load((out / "goods.yaml").read_text(encoding="utf-8"))
    for good, edits in arm.goods.items():
        for key, mult in edits.items():
            goods[good][key]["value"] = goods[good][key]["value"] * mult
    (out / "goods.yaml").write_text(yaml.safe_dump(goods, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def arm_config(arm: Arm, mode: Mode, data_root: Path | None = None) -> dict:
    """The run configuration of an arm (without seed) as a plain dictionary."""
    policy = arm.policy
    if arm.preset:
        preset = changed(arm.overrides())
        scenario, policy = preset.get("scenario", {}), preset.get("policy", {})
        steps = mode.history_weeks
    elif arm.family == "history":
        scenario = _merge(changed(["scenario=history"])["scenario"], arm.scenario)
        steps = mode.history_weeks
    else:
        scenario = _merge(CORE_SCENARIO if arm.family == "core" else PATTERN_SCENARIO, arm.scenario)
        steps = mode.core_weeks if arm.family == "core" else mode.weeks
    if arm.goods:
        scenario["data_dir"] = str(goods_data_dir(arm, data_root or ROOT / "multirun" / "validation"))
    cfg = {"scenario": scenario, "policy": policy, "output": {"progress": False, "edges": False}}
    if steps is not None:
        cfg["steps"] = steps
    return cfg
