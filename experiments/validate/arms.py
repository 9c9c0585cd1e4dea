"""The arms of the validation: how much to run (modes) and each configuration the experiments compare."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.names import GroupKind
from sim.params import RunConfig
from sim.world import load_world
from sim.world.tables import DATA_DIR
from simcli.compose import compose, group_dir, sweep_overrides

ROOT = Path(__file__).resolve().parent.parent.parent
TRADE_SOURCES = ("tolls", "protection", "trafficking")
KINDS = tuple(k.name.lower() for k in GroupKind)
CALIBRATION = "calibration"  # the config group of the calibrated ensemble's points


@dataclass(frozen=True)
class Mode:
    """How much to run: seeds and weeks per family of arms."""

    name: str
    seeds: int
    weeks: int
    core_weeks: int
    history_seeds: int
    history_weeks: int | None  # None: the scenario's own horizon
    burn_in_weeks: int | None = None  # None: the scenario's own (pattern and core families only)
    history_supply: float | None = None  # None: the history scenario's own supply_scale
    calibrated: bool = True  # history arms over the calibrated ensemble (simcli/configs/calibration/)

    @property
    def quick(self) -> bool:
        """Whether this is the CI mode (results mean nothing)."""
        return self.name == "quick"


FULL = Mode("full", seeds=20, weeks=156, core_weeks=156, history_seeds=20, history_weeks=729)
# CI's smoke run: the fewest seeds and weeks that still give every statistic an interval (2 seeds)
# and every counterfactual its window (the history's own horizon: the last one starts in 2023), the
# history at a tenth of its supply (fewer crews: the horizon, not the flows, is what CI must cover).
QUICK = Mode(
    "quick", seeds=2, weeks=12, core_weeks=12, history_seeds=2, history_weeks=None, burn_in_weeks=4, history_supply=0.1
)

# --- arms ------------------------------------------------------------------------------------------

# Each family's base, as Hydra overrides on the default configuration (simcli/configs).
PATTERN_SUPPLY, CORE_SUPPLY = 0.3, 0.1  # supply_scale of the pattern and core families
PATTERN_BASE = ("scenario.name=validation", f"scenario.supply_scale={PATTERN_SUPPLY}")
CORE_BASE = (
    "scenario.name=validation-core",
    f"scenario.supply_scale={CORE_SUPPLY}",
    *(f"scenario.actors.{a}=false" for a in ("armed_groups", "officials", "communities", "forces")),
)
HISTORY_BASE = ("scenario=history",)
FAMILY_BASE = {"pattern": PATTERN_BASE, "core": CORE_BASE, "history": HISTORY_BASE}
# By id, the crossings between Mali and Algeria (what targets=["Algeria"] selects since issue 21;
# before it, the name matched the region "Algeria" of places abroad and selected no crossing).
ALGERIAN_CROSSINGS = ("in_khalil", "tinzaouaten")
HIGH_VALUE = ("cocaine", "cannabis_resin", "cigarettes", "arms", "gold")  # goods that buy protection (M3)
ALL_GOODS = tuple(g.id for g in load_world("").goods)  # the "without X" arms keep every other good


def policies(*names: str, **settings) -> tuple[str, ...]:
    """Overrides that switch on policies and set their fields: ``policies("ddr", ddr={"intensity": 2})``."""
    out = [f"policy=[{','.join(names)}]"]
    for name, fields in settings.items():
        out += [f"policy.{name}.{k}={_value(v)}" for k, v in fields.items()]
    return tuple(out)


def _value(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(map(str, v)) + "]"
    return str(v).lower() if isinstance(v, bool) else str(v)


def without(*goods: str) -> tuple[str, ...]:
    """The override that trades every good but ``goods``."""
    return (f"scenario.goods=[{','.join(g for g in ALL_GOODS if g not in goods)}]",)


@dataclass(frozen=True)
class Arm:
    """A configuration run with every seed of an experiment.

    Attributes:
        name: Short name.
        label: What it is, for tables.
        family: ``pattern`` (three-tenths default economy), ``core`` (traffickers and stand-in
            checkpoints only) or ``history`` (the historical scenario).
        overrides: Hydra overrides on top of the family's base (``FAMILY_BASE``), composed
            through :func:`simcli.compose.compose` as ``python -m sim`` would.
        goods: Edits of goods.yaml (good -> field -> multiplier), run from a copy of the data.
        preset: The arm is the last job of the sweep of ``simcli/configs/experiment/<name>.yaml``
            (a counterfactual is defined there once); ``overrides`` is then empty.
    """

    name: str
    label: str
    family: str = "pattern"
    overrides: tuple[str, ...] = ()
    goods: dict = field(default_factory=dict)
    preset: bool = False

    def base(self) -> list[str]:
        """The family's overrides, or the preset's job (its sweep's last)."""
        return sweep_overrides(self.name)[-1] if self.preset else list(FAMILY_BASE[self.family])


ARMS = {
    a.name: a
    for a in [
        Arm("base", "no policy"),
        Arm(
            "bc_blunt",
            "border control x2, not crime-sensitive",
            overrides=policies("border_control", border_control={"intensity": 2}),
        ),
        Arm(
            "bc_sens",
            "border control x2, crime-sensitive",
            overrides=policies("border_control", border_control={"intensity": 2, "crime_sensitive": True}),
        ),
        Arm(
            "bc_alg",
            "crime-sensitive border control x2 at the Algerian crossings",
            overrides=policies(
                "border_control",
                border_control={"intensity": 2, "crime_sensitive": True, "targets": ALGERIAN_CROSSINGS},
            ),
        ),
        Arm(
            "bc_alg_coop",
            "the same with regional cooperation",
            overrides=policies(
                "border_control",
                "regional_cooperation",
                border_control={"intensity": 2, "crime_sensitive": True, "targets": ALGERIAN_CROSSINGS},
            ),
        ),
        Arm(
            "ct_jihadist",
            "counter-terrorism x3, jihadist-labelled groups only",
            overrides=policies("counter_terrorism", counter_terrorism={"intensity": 2, "targeting": "jihadist_only"}),
        ),
        Arm(
            "ct_all",
            "counter-terrorism x3, all armed groups in the trade",
            overrides=policies("counter_terrorism", counter_terrorism={"intensity": 2, "targeting": "all_armed"}),
        ),
        Arm("livelihoods", "livelihood programme in the north", overrides=policies("livelihoods")),
        Arm("ddr", "DDR alone", overrides=policies("ddr")),
        Arm(
            "ddr_alt",
            "DDR with gold formalization and livelihoods",
            overrides=policies("ddr", "gold_formalization", "livelihoods"),
        ),
        Arm("peace", "local peace deal CMA-Platform", overrides=policies("peace_deals")),
        Arm(
            "accom",
            "accommodation conditional on leaving the trade (signatory, pro-government)",
            overrides=policies("accommodation"),
        ),
        Arm(
            "accom_no_hv",
            "the same without high-value (protected) goods",
            overrides=(*without(*HIGH_VALUE), *policies("accommodation")),
        ),
        Arm(
            "no_spare",
            "the state never spares ransom brokers",
            overrides=("scenario.armed_groups.hostage_value_usd=0",),
        ),
        Arm(
            "ac_will",
            "anti-corruption, political will 0.9",
            overrides=policies("anti_corruption", anti_corruption={"political_will": 0.9}),
        ),
        Arm(
            "ac_nowill",
            "anti-corruption, political will 0",
            overrides=policies("anti_corruption", anti_corruption={"political_will": 0.0}),
        ),
        Arm("capacity", "capacity building (scenario's low will)", overrides=policies("capacity_building")),
        Arm("hub", "hub raids", overrides=policies("hub_raids")),
        Arm(
            "hub_acted",
            "hub raids, intelligence acted on",
            overrides=policies("hub_raids", "intelligence", intelligence={"acted_on": "always"}),
        ),
        Arm(
            "hub_siloed",
            "hub raids, knowledge acted on but left in silos",
            overrides=policies("hub_raids", "intelligence", intelligence={"acted_on": "always", "fuse": False}),
        ),
        Arm("sanctions", "sanctions listings (3 per review)", overrides=policies("sanctions")),
        Arm("no_drugs", "no cocaine or cannabis resin in the trade", overrides=without("cocaine", "cannabis_resin")),
        Arm("no_other", "no cigarettes, arms or gold in the trade", overrides=without("cigarettes", "arms", "gold")),
        Arm("no_high_value", "no high-value (protected) goods in the trade", overrides=without(*HIGH_VALUE)),
        Arm("cig_dear", "cigarettes worth 1.5x at the sink", goods={"cigarettes": {"value_sink_usd": 1.5}}),
        Arm("arms_flood", "arms supply x3", goods={"arms": {"supply_per_week": 3.0}}),
        Arm("venal", "officials' mean integrity 0.3", overrides=("scenario.officials.integrity_mean=0.3",)),
        Arm("honest", "officials' mean integrity 0.7", overrides=("scenario.officials.integrity_mean=0.7",)),
        Arm(
            "oc",
            "organized crime a main task of the mission",
            overrides=policies("mission_mandate", mission_mandate={"oc_weight": 0.4}),
        ),
        Arm("attacks", "attacks on the mission x3", overrides=("scenario.forces.attack_rate=0.045",)),
        Arm(
            "oc_attacks",
            "organized crime a main task, attacks x3",
            overrides=(
                "scenario.forces.attack_rate=0.045",
                *policies("mission_mandate", mission_mandate={"oc_weight": 0.4}),
            ),
        ),
        Arm(
            "no_protection",
            "no protection bought (no crew allied to a group)",
            overrides=("scenario.armed_groups.protection_value_per_t=1e9",),
        ),
        Arm(
            "gold_venal",
            "gold formalization, integrity 0.3",
            overrides=("scenario.officials.integrity_mean=0.3", *policies("gold_formalization")),
        ),
        Arm(
            "gold_honest",
            "gold formalization, integrity 0.7",
            overrides=("scenario.officials.integrity_mean=0.7", *policies("gold_formalization")),
        ),
        Arm("core_base", "core model", family="core"),
        Arm(
            "core_in_khalil",
            "core model, checkpoint pressure x10 at In Khalil",
            family="core",
            overrides=("+scenario.checkpoints.pressure_multiplier.in_khalil=10.0",),
        ),
        Arm("history", "history 2012-", family="history"),
        # Counterfactuals: the last job of the preset's sweep (simcli/configs/experiment/<name>.yaml).
        Arm("history_oc_priority", "organized crime a main task of MINUSMA from July 2013", "history", preset=True),
        Arm("history_no_wagner", "no Wagner", "history", preset=True),
        Arm("history_sanctions_continue", "UN sanctions do not lapse (Aug 2023)", "history", preset=True),
    ]
}


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


def arm_overrides(arm: Arm, mode: Mode, data_root: Path | None = None) -> list[str]:
    """Every Hydra override of an arm's runs (without the seed): family base, arm, horizon, outputs."""
    steps = mode.history_weeks if arm.family == "history" else mode.core_weeks if arm.family == "core" else mode.weeks
    out = [*arm.base(), *arm.overrides, "output.progress=false", "output.edges=false"]
    if mode.burn_in_weeks is not None and arm.family != "history":
        out.append(f"scenario.burn_in_weeks={mode.burn_in_weeks}")
    if mode.history_supply is not None and arm.family == "history":
        out.append(f"scenario.supply_scale={mode.history_supply}")
    if arm.goods:
        out.append(f"scenario.data_dir={goods_data_dir(arm, data_root or ROOT / 'multirun' / 'validation')}")
    # One run per task, from the start (a preset's sweep blocks seeds and branches from a saved past).
    return [*out, f"steps={'null' if steps is None else steps}", "seeds=1", "branch_from=null"]


def calibration_point(arm: Arm, mode: Mode, seed: int) -> str | None:
    """The calibrated parameter point a history arm's seed runs at, or None (other families, uncalibrated).

    Seed ``s`` runs at point ``s mod n`` of the committed ensemble (``simcli/configs/calibration/``,
    docs/calibration.md), so the history and its counterfactuals pair by seed *and* point, and their
    bands cover parameter uncertainty as well as the seed.

    Raises:
        SystemExit: When the calibrated mode is asked for and no ensemble is committed.
    """
    if arm.family != "history" or not mode.calibrated:
        return None
    names = sorted(p.stem for p in group_dir(CALIBRATION).glob("p[0-9][0-9].yaml"))
    if not names:
        raise SystemExit(
            f"error: no calibrated ensemble in {group_dir(CALIBRATION)}: run python -m experiments.calibrate "
            "first, or validate with --uncalibrated"
        )
    return names[seed % len(names)]


def arm_config(arm: Arm, mode: Mode, data_root: Path | None = None, seed: int = 0) -> RunConfig:
    """The run configuration of an arm for one seed, composed as ``python -m sim OVERRIDES`` would."""
    point = calibration_point(arm, mode, seed)
    extra = [f"{CALIBRATION}={point}"] if point else []
    return compose([*arm_overrides(arm, mode, data_root), *extra, f"seed={seed}"])
