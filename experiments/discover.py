r"""Scenario discovery: under which assumptions does a policy fail, or do harm?

Two steps, one command each::

    python -m experiments.discover sample DIR --policy border_control \
        --set policy.border_control.crime_sensitive=true \
        --factor scenario.communities.import_dependence_north --n 40 --seeds 2
    python -m experiments.discover DIR --policy border_control \
        --success "delivered_value_usd<=-5%" --harm "food_security_north_index<=-1%"

``sample`` draws a Latin hypercube over assumption ranges of the parameter table and runs each
point with the policy and without it (the base), over seeds, through ``sim.sweep`` (hashed run
directories: re-running skips finished runs). The analysis pairs each policy run with the base
run of the same assumptions and seed, classifies the pair by the declared criteria on registered
outcomes (*harm* if any harm criterion holds, else *success* if every success criterion holds,
else *failure*) and runs PRIM and CART from the EMA Workbench (Kwakkel 2017) on the assumptions:
boxes with coverage, density and quasi-p values, PRIM's peeling trade-off, and ``discovery.md``
with its figures. Any sweep of this project can be analysed, e.g. one of ``python -m sim -m``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser

from experiments.design import factors_named, latin_hypercube, point_config, read_runs, run_all
from experiments.runner import LAUNCHERS, ClusterFailedError
from sim.errors import ConfigError, SimError

EXIT_USAGE = 2
QP_MAX = 0.05  # restrictions with a larger quasi-p are dropped from PRIM's box
CLASSES = ("success", "failure", "harm")
CRITERION = re.compile(r"^\s*([\w.\-]+)\s*(<=|>=|<|>)\s*([+-]?[\d.]+(?:e[+-]?\d+)?)\s*(%?)\s*$")
EXCLUDED_PREFIXES = ("output.", "out:")
EXCLUDED = {"run", "seed", "seeds", "steps", "branch_from", "policy_label"}


@dataclass(frozen=True)
class Criterion:
    """A test on the change of one outcome, policy run against its base: ``food_security_north_index<=-1%``."""

    outcome: str
    op: str
    threshold: float
    relative: bool

    @classmethod
    def parse(cls, text: str, option: str) -> Criterion:
        """Parse ``OUTCOME OP NUMBER[%]``.

        Raises:
            ConfigError: on a malformed criterion.
        """
        m = CRITERION.match(text)
        if not m:
            raise ConfigError(option, text, "OUTCOME<=NUMBER or OUTCOME>=NUMBER%, e.g. delivered_value_usd<=-5%", "")
        return cls(m[1], m[2], float(m[3]) / (100 if m[4] else 1), bool(m[4]))

    def change(self, policy: np.ndarray, base: np.ndarray) -> np.ndarray:
        """The change the criterion tests: absolute, or relative to the base (0 where the base is 0)."""
        diff = policy - base
        if not self.relative:
            return diff
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(base != 0, diff / np.abs(base), 0.0)

    def holds(self, policy: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Whether the criterion holds for each pair."""
        c = self.change(policy, base)
        return {"<=": c <= self.threshold, ">=": c >= self.threshold, "<": c < self.threshold, ">": c > self.threshold}[
            self.op
        ]

    def __str__(self) -> str:
        value = f"{self.threshold * 100:+g}%" if self.relative else f"{self.threshold:+g}"
        return f"{self.outcome} {self.op} {value}"


def pair_runs(runs: pd.DataFrame, policy: str, base: str = "none") -> pd.DataFrame:
    """Policy runs beside their base run of the same assumptions and seed.

    Runs are paired on every parameter except the policies' ``enabled`` switches, the settings of
    the policies the judged runs add to the base (they mean nothing where a policy is off), and
    outputs.

    Raises:
        ConfigError: if the sweep holds no pair.
    """
    if runs.empty:
        raise ConfigError("SWEEP_DIR", "", "a sweep directory with finished runs (runs/*/summary.json)", "no runs")
    keys = [c for c in runs.columns if not c.startswith(EXCLUDED_PREFIXES) and c not in EXCLUDED - {"seed"}]
    keys = [c for c in keys if not (c.startswith("policy.") and c.endswith(".enabled"))]
    added = set(policy.split("+")) - set(base.split("+"))
    keys = [c for c in keys if not any(c.startswith(f"policy.{name}.") for name in added)]
    key = pd.Series([json.dumps(list(r), default=str) for r in runs[keys].itertuples(index=False)], index=runs.index)
    labels = sorted(runs["policy_label"].unique())
    for name, option in ((policy, "--policy"), (base, "--base")):
        if name not in labels:
            raise ConfigError(option, name, ", ".join(labels), "no runs of this policy in the sweep")
    a = runs[runs["policy_label"] == policy].assign(_key=key)
    b = runs[runs["policy_label"] == base].assign(_key=key)
    pairs = a.merge(b[["_key", *[c for c in b.columns if c.startswith("out:")]]], on="_key", suffixes=("", ":base"))
    if pairs.empty:
        raise ConfigError("--policy", policy, "a sweep that runs the same assumptions and seeds without it", "no pairs")
    return pairs.drop(columns="_key").reset_index(drop=True)


def classify(pairs: pd.DataFrame, success: list[Criterion], harm: list[Criterion]) -> pd.Series:
    """Class of each pair: success, failure or harm (harm first, then success if every criterion holds).

    Raises:
        ConfigError: for an outcome the runs did not record.
    """
    known = sorted(c[4:] for c in pairs.columns if c.startswith("out:") and not c.endswith(":base"))
    for option, criteria in (("--success", success), ("--harm", harm)):
        for c in criteria:
            if f"out:{c.outcome}" not in pairs.columns:
                close = [k for k in known if c.outcome.split(".")[0] in k][:6] or known[:6]
                raise ConfigError(option, c.outcome, ", ".join(close) + ", ...", "not an outcome of these runs")

    def test(c: Criterion) -> np.ndarray:
        return c.holds(pairs[f"out:{c.outcome}"].to_numpy(float), pairs[f"out:{c.outcome}:base"].to_numpy(float))

    ok = np.all([test(c) for c in success], axis=0) if success else np.ones(len(pairs), bool)
    bad = np.any([test(c) for c in harm], axis=0) if harm else np.zeros(len(pairs), bool)
    return pd.Series(np.where(bad, "harm", np.where(ok, "success", "failure")), index=pairs.index, name="class")


def assumptions(pairs: pd.DataFrame) -> pd.DataFrame:
    """The numeric parameters that vary across the pairs: the uncertainties PRIM looks at."""
    cols = {}
    for c in pairs.columns:
        if c.startswith(EXCLUDED_PREFIXES) or c in EXCLUDED or c.endswith(".enabled"):
            continue
        values = pd.to_numeric(pairs[c], errors="coerce")
        if values.notna().all() and values.nunique() > 1:
            cols[c] = values.astype(float)
    return pd.DataFrame(cols)


# --- PRIM and CART ---------------------------------------------------------------------------


@dataclass
class Box:
    """A box of the assumption space: its limits, how much of the cases of interest it holds."""

    method: str
    coverage: float
    density: float
    mass: float
    limits: dict[str, tuple[float, float]]  # restricted dimensions only
    qp: dict[str, float]  # quasi-p value of each restriction (PRIM)


def prim_boxes(x: pd.DataFrame, y: np.ndarray, threshold: float = 0.8, peel_alpha: float = 0.1):
    """PRIM's first box (EMA Workbench) and the box object for its figures.

    The box is the point of the peeling trajectory with the best coverage (then density) among
    those whose density reaches ``threshold``, or, if none does, the densest point; then its
    restrictions with a quasi-p value above 0.05 are dropped (the box as peeled stays on the
    object as ``peeled``).
    """
    import logging

    from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.ERROR)
    alg = prim.Prim(x, y.astype(bool), peel_alpha=peel_alpha)
    box = alg.find_box()
    traj = box.peeling_trajectory
    reach = traj[traj["density"] >= threshold]
    if reach.empty:
        i = int(traj["density"].idxmax())
    else:  # the best coverage, and of those the densest
        i = int(reach.sort_values(["coverage", "density"], ascending=False).index[0])
    box.select(i)
    box.peeled = _prim_box(box, x, i)  # before any restriction is dropped, for the report
    box.peeled.method = "PRIM (as peeled)"
    # Restrictions that could be luck (quasi-p above 0.05) are dropped, one at a time, as
    # Bryant and Lempert (2010) advise; each drop adds a box to the trajectory.
    while True:
        current = _prim_box(box, x, box._cur_box)
        noisy = [c for c, q in current.qp.items() if not q <= QP_MAX]
        if not noisy:
            return current, box
        box.drop_restriction(max(noisy, key=lambda c: current.qp[c]))
        box.select(len(box.peeling_trajectory) - 1)


def _prim_box(box, x: pd.DataFrame, i: int) -> Box:
    row = box.peeling_trajectory.iloc[i]
    lims = box.box_lims[i]
    full = box.box_lims[0]
    restricted = {
        c: (float(lims[c].iloc[0]), float(lims[c].iloc[1]))
        for c in x.columns
        if not np.isclose(lims[c].iloc[0], full[c].iloc[0]) or not np.isclose(lims[c].iloc[1], full[c].iloc[1])
    }
    qp = {}
    for c in restricted:  # quasi-p of the lower and upper limit (-1: that side is not restricted)
        sides = [v for v in box.p_values[i].get(c, []) if v is not None and v >= 0]
        qp[c] = float(max(sides)) if sides else float("nan")
    return Box("PRIM", float(row["coverage"]), float(row["density"]), float(row["mass"]), restricted, qp)


def cart_boxes(x: pd.DataFrame, y: np.ndarray, mass_min: float = 0.1) -> tuple[list[Box], object]:
    """CART's leaves (EMA Workbench) where most cases are of interest, densest first."""
    from ema_workbench.analysis import cart

    mass_min = max(mass_min, 1.0 / len(x) + 1e-9)  # a leaf holds at least one case
    alg = cart.CART(x, y.astype(bool), mass_min=mass_min)
    # EMA's tree takes no seed and scikit-learn then breaks ties between equally good splits
    # with numpy's global generator: seed it, so the same sweep gives the same tree.
    np.random.seed(0)  # noqa: NPY002
    alg.build_tree()
    out = []
    # No split worth making, or one assumption only: EMA Workbench 3.0's boxes fail on both.
    if alg.clf.tree_.node_count <= 1 or x.shape[1] < 2:
        return out, alg
    for lims, stats in zip(alg.boxes, alg.stats, strict=True):
        full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
        restricted = {
            c: (float(lims[c].iloc[0]), float(lims[c].iloc[1]))
            for c in x.columns
            if not (np.isclose(lims[c].iloc[0], full[c][0]) and np.isclose(lims[c].iloc[1], full[c][1]))
        }
        out.append(Box("CART", float(stats["coverage"]), float(stats["density"]), float(stats["mass"]), restricted, {}))
    out = [b for b in out if b.density >= 0.5]
    return sorted(out, key=lambda b: -b.density), alg


# --- the report ------------------------------------------------------------------------------


def _fmt_box(b: Box) -> list[str]:
    lines = [
        f"- **{b.method}**: coverage {b.coverage:.2f}, density {b.density:.2f}, mass {b.mass:.2f}"
        + (" (no restriction: the whole space)" if not b.limits else "")
    ]
    for c, (lo, hi) in b.limits.items():
        qp = f", quasi-p {b.qp[c]:.3f}" if c in b.qp and not np.isnan(b.qp[c]) else ""
        lines.append(f"  - `{c}` in [{lo:.4g}, {hi:.4g}]{qp}")
    return lines


def _share_interval(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a share k/n."""
    if n == 0:
        return (float("nan"), float("nan"))
    z, p = 1.96, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def analyse(
    sweep: Path,
    policy: str,
    success: list[Criterion],
    harm: list[Criterion],
    out: Path,
    base: str = "none",
    threshold: float = 0.8,
) -> dict:
    """Classify, run PRIM and CART for each class of interest, write ``discovery.md`` and figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = pair_runs(read_runs(sweep), policy, base)
    classes = classify(pairs, success, harm)
    x = assumptions(pairs)
    if x.empty:
        raise ConfigError("SWEEP_DIR", str(sweep), "a sweep over assumptions (some parameter must vary)", "none varies")
    out.mkdir(parents=True, exist_ok=True)
    table = pd.concat([pairs[["run", "seed"]], x, classes], axis=1)
    table.to_csv(out / "classes.csv", index=False)
    n = len(classes)
    counts = {c: int((classes == c).sum()) for c in CLASSES}
    result: dict = {"policy": policy, "base": base, "pairs": n, "counts": counts, "questions": {}}
    lines = [
        f"# When does `{policy}` fail or do harm?",
        "",
        f"Sweep `{sweep}`: {n} runs of `{policy}`, each paired with the `{base}` run of the same assumptions and seed.",
        "",
        "Criteria (change of the policy run against its base):",
        "",
        *[f"- success: `{c}`" for c in success],
        *[f"- harm: `{c}`" for c in harm],
        "",
        "| class | runs | share (95% interval) |",
        "|---|---|---|",
    ]
    for c in CLASSES:
        lo, hi = _share_interval(counts[c], n)
        lines.append(f"| {c} | {counts[c]} | {counts[c] / n:.2f} ({lo:.2f}-{hi:.2f}) |")
    lines += ["", f"Assumptions varied: {', '.join(f'`{c}`' for c in x.columns)}.", ""]
    questions = {"fails or harms": classes != "success", "harms": classes == "harm"}
    for question, y in questions.items():
        y = y.to_numpy()
        slug = question.replace(" ", "_")
        lines += [f"## Where it {question}", ""]
        if y.sum() == 0 or y.all():
            lines += [f"{'No' if y.sum() == 0 else 'Every'} run {question}: nothing to separate.", ""]
            result["questions"][question] = {"cases": int(y.sum()), "boxes": []}
            continue
        pbox, prim_obj = prim_boxes(x, y, threshold)
        cboxes, cart_obj = cart_boxes(x, y)
        boxes = [pbox, *cboxes[:2]]
        if prim_obj.peeled.limits != pbox.limits:
            boxes.insert(0, prim_obj.peeled)
        lines += [f"{int(y.sum())} of {n} runs (base rate {y.mean():.2f}).", ""]
        for b in boxes:
            lines += _fmt_box(b)
        prim_obj.show_tradeoff()
        plt.gcf().savefig(out / f"prim_tradeoff_{slug}.png", dpi=110, bbox_inches="tight")
        plt.close("all")
        _scatter(x, y, pbox, out / f"prim_box_{slug}.png", question)
        if cboxes:
            from sklearn.tree import plot_tree  # EMA's show_tree needs graphviz

            fig, ax = plt.subplots(figsize=(9, 5))
            plot_tree(cart_obj.clf, feature_names=list(x.columns), class_names=["other", question], ax=ax, fontsize=7)
            fig.savefig(out / f"cart_tree_{slug}.png", dpi=110, bbox_inches="tight")
            plt.close("all")
        else:
            lines.append("- **CART**: no split separates these runs (or only one assumption varies).")
        lines += [
            "",
            f"![PRIM peeling trade-off](prim_tradeoff_{slug}.png)",
            f"![PRIM box](prim_box_{slug}.png)",
            *([f"![CART tree](cart_tree_{slug}.png)"] if cboxes else []),
            "",
        ]
        traj = prim_obj.peeling_trajectory[["coverage", "density", "mass", "res_dim"]]
        result["questions"][question] = {
            "cases": int(y.sum()),
            "boxes": [b.__dict__ for b in boxes],
            "tradeoff": traj.round(4).to_dict(orient="list"),
        }
    lines += [
        "PRIM and CART: EMA Workbench (`ema_workbench.analysis.prim`, `.cart`). Coverage: share of the runs of",
        "interest inside the box; density: share of the runs inside the box that are of interest; quasi-p: chance",
        "of a restriction this strong by luck (binomial; below 0.05 the restriction is unlikely to be noise).",
        "",
    ]
    (out / "discovery.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "discovery.json").write_text(json.dumps(result, indent=1, default=float) + "\n", encoding="utf-8")
    return result


def _scatter(x: pd.DataFrame, y: np.ndarray, box: Box, path: Path, question: str) -> None:
    import matplotlib.pyplot as plt

    dims = list(box.limits)[:2] or list(x.columns[:2])
    if len(dims) == 1:
        others = [c for c in x.columns if c != dims[0]]
        dims = dims + others[:1]
    fig, ax = plt.subplots(figsize=(5, 4))
    if len(dims) == 2:
        ax.scatter(x[dims[0]], x[dims[1]], c=np.where(y, "tab:red", "tab:blue"), s=14)
        lim = {c: box.limits.get(c, (x[c].min(), x[c].max())) for c in dims}
        ax.add_patch(
            plt.Rectangle(
                (lim[dims[0]][0], lim[dims[1]][0]),
                lim[dims[0]][1] - lim[dims[0]][0],
                lim[dims[1]][1] - lim[dims[1]][0],
                fill=False,
                lw=1.5,
            )
        )
        ax.set_xlabel(dims[0], fontsize=8)
        ax.set_ylabel(dims[1], fontsize=8)
    ax.set_title(f"runs where it {question} (red) and PRIM's box", fontsize=9)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


# --- the command -----------------------------------------------------------------------------


def _parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError("--set", item, "KEY=VALUE", "no '='")
        out[key] = OverridesParser.create().parse_override(f"{key}={value}").value()
    return out


def sample(args: argparse.Namespace) -> int:
    """Run the assumption sweep: each point with and without the policy, over seeds."""
    factors = factors_named(args.factor)
    points = latin_hypercube(factors, args.n, seed=args.design_seed)
    base = {"steps": args.steps, "scenario": {"name": args.scenario}, "branch_from": args.branch_from}
    if args.scenario == "small":
        base["scenario"] |= {"steps": 104, "supply_scale": 0.1}
    if args.scenario == "history":
        base["scenario"] |= {"timeline": "history", "start_date": "2012-01-02", "steps": 625}
    extra = _parse_set(args.set)
    configs = []
    for i, row in points.iterrows():
        # The base runs leave the policy's settings at their defaults: one base serves many variants.
        mine = f"policy.{args.policy}."
        point = {**row.to_dict(), **extra}
        off = {k: v for k, v in point.items() if not k.startswith(mine)}
        on = {**point, f"{mine}enabled": True}
        for settings, label in ((off, "base"), (on, args.policy)):
            configs.append((point_config(base, settings, args.seed, args.seeds), f"[point {i} {label}]"))
    report = run_all(configs, args.dir, jobs=args.jobs, launcher=args.launcher)
    print(
        f"{len(report.done)} runs done, {len(report.skipped)} already done, {len(report.failed)} failed -> {args.dir}"
    )
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments.discover [sample] DIR ...``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sample":
        p = argparse.ArgumentParser(prog="python -m experiments.discover sample", description=sample.__doc__)
        p.add_argument("dir", type=Path)
        p.add_argument("--policy", required=True)
        p.add_argument("--factor", action="append", required=True, help="assumption to vary (repeat)")
        p.add_argument("--set", action="append", default=[], help="KEY=VALUE for every run (repeat)")
        p.add_argument("--n", type=int, default=40, help="points of the Latin hypercube")
        p.add_argument("--seeds", type=int, default=2)
        p.add_argument("--seed", type=int, default=1, help="first seed")
        p.add_argument("--steps", type=int, default=None)
        p.add_argument("--scenario", default="small", choices=("small", "default", "history"))
        p.add_argument("--branch-from", default=None, help="share the past before this week or date")
        p.add_argument("--design-seed", type=int, default=20261129)
        p.add_argument("--jobs", type=int, default=1)
        p.add_argument("--launcher", default="joblib", choices=LAUNCHERS, help="where runs go (README: Launchers)")
        args = p.parse_args(argv[1:])
        try:
            return sample(args)
        except ClusterFailedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except SimError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    p = argparse.ArgumentParser(prog="python -m experiments.discover", description=__doc__.split("\n\n")[0])
    p.add_argument("dir", type=Path, help="sweep directory (runs/<key>/)")
    p.add_argument("--policy", required=True, help="policy label of the runs to judge (as in summary.json)")
    p.add_argument("--base", default="none", help="label of the base runs (default: none)")
    p.add_argument("--success", action="append", default=[], help="criterion, e.g. 'delivered_value_usd<=-5%%'")
    p.add_argument("--harm", action="append", default=[], help="criterion, e.g. 'food_security_north_index<=-1%%'")
    p.add_argument("--threshold", type=float, default=0.8, help="PRIM's density threshold")
    p.add_argument("--out", type=Path, default=None, help="report directory (default: DIR/discovery)")
    args = p.parse_args(argv)
    try:
        if not args.dir.is_dir():
            raise ConfigError("SWEEP_DIR", str(args.dir), "an existing sweep directory", "not found")
        if not args.success and not args.harm:
            raise ConfigError("--success", "", "at least one --success or --harm criterion", "none given")
        success = [Criterion.parse(s, "--success") for s in args.success]
        harm = [Criterion.parse(s, "--harm") for s in args.harm]
        out = args.out or args.dir / "discovery"
        result = analyse(args.dir, args.policy, success, harm, out, args.base, args.threshold)
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    c = result["counts"]
    print(f"{result['pairs']} pairs: {c['success']} success, {c['failure']} failure, {c['harm']} harm -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
