"""Figures and a summary of a sweep, in one command.

``python -m experiments.report SWEEP_DIR [--baseline KEY] [--outcomes a,b,...] [--tag TAG]``
aggregates the sweep (unless its tables are up to date), draws the effects of every variant
against the baseline, monthly series, flow-change maps per variant (all goods by value, and
cocaine) and the do-no-harm panel into ``SWEEP_DIR/figures/`` (PNG and SVG), and writes
``SWEEP_DIR/report.md``: what ran, the variants, a table of effects (baseline and variant means
in their units, the change with its 95% t-interval, the number of seeds, and whether the change
is for the better by the outcome's direction), and the figures.

Outcomes are chosen by tag (``headline`` by default) from the sweep's data dictionary, which
carries each outcome's unit and direction from the registry (:mod:`sim.outcomes`). The baseline
is the status quo (:func:`experiments.figures.default_baseline`); ``--baseline`` takes a variant's
label or a short key such as ``intensity=0,targeting=jihadist_only``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pyarrow.parquet as pq

from experiments import figures
from experiments.aggregate import AggregateReport, SweepError, aggregate, print_report, stored_report
from sim import dictionary as data_dictionary
from sim.outcomes import TAGS
from sim.world import World, load_world

DEFAULT_TAG = "headline"
SERIES_TAG = "headline"
# Used only for sweeps whose runs carry no tagged data dictionary (made before outcomes had tags).
KEY_OUTCOMES = (
    "delivered_value_usd",
    "seizure_share",
    "route_entropy",
    "armed_group_revenue_usd",
    "fatalities",
    "bribe_rate",
    "community_income_index",
    "food_security_north_index",
    "state_trust_index",
)
SERIES_OUTCOMES = ("delivered_value_usd", "armed_group_revenue_usd", "fatalities", "food_security_north_index")
FLOW_GOODS = (None, "cocaine")


class ReportError(ValueError):
    """A request the sweep cannot answer (unknown baseline or outcome)."""


@dataclass
class Figures:
    """The figures written, by section, as (title, path without suffix)."""

    sections: dict[str, list[tuple[str, Path]]] = field(default_factory=dict)

    def add(self, section: str, title: str, fig: plt.Figure, base: Path) -> None:
        """Save a figure as PNG and SVG, close it, and record it."""
        figures.save(fig, base)
        plt.close(fig)
        self.sections.setdefault(section, []).append((title, base))

    def paths(self) -> list[Path]:
        """Every file written."""
        return [
            base.with_name(f"{base.name}.{ext}")
            for items in self.sections.values()
            for _, base in items
            for ext in ("png", "svg")
        ]


def load_tables(report: AggregateReport) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str | None]:
    """(runs, series, edges, data_dir): only the columns the figures need, so large sweeps fit."""
    columns = ["run", "variant", "seed", "outcome", "value"]
    data_dir = None
    if "scenario.data_dir" in pq.read_schema(report.runs_path).names:
        dirs = pd.read_parquet(report.runs_path, columns=["scenario.data_dir"])["scenario.data_dir"].dropna()
        data_dir = str(dirs.iloc[0]) if len(dirs) else None
    runs = pd.read_parquet(report.runs_path, columns=columns)
    return runs, pd.read_parquet(report.series_path), pd.read_parquet(report.edges_path), data_dir


def load_dictionary(report: AggregateReport) -> dict[str, dict]:
    """The sweep's outcomes by name (unit, direction, description, tags), from runs.parquet's metadata."""
    try:
        entries = data_dictionary.read(report.runs_path)["outcomes"]
    except (KeyError, OSError):
        return {}  # a sweep aggregated before tables carried a dictionary
    return {e["name"]: e for e in entries}


def by_tag(info: dict[str, dict], tag: str, present: set[str]) -> list[str]:
    """Outcomes carrying ``tag`` that the sweep has, in registry order."""
    return [name for name, e in info.items() if tag in e.get("tags", ()) and name in present]


def choose_outcomes(
    runs: pd.DataFrame, requested: str | None, info: dict[str, dict] | None = None, tag: str | None = None
) -> list[str]:
    """The outcomes asked for (all must exist), else those carrying ``tag`` (``headline`` by default).

    Raises:
        ReportError: For an unknown outcome or tag, or a tag no outcome of the sweep carries.
    """
    present = set(runs["outcome"])
    if requested:
        asked = [o.strip() for o in requested.split(",") if o.strip()]
        unknown = [o for o in asked if o not in present]
        if unknown:
            raise ReportError(f"unknown outcome(s): {', '.join(unknown)}; see docs/ODD.md section 8")
        return asked
    if tag is not None and tag not in TAGS:
        raise ReportError(f"unknown tag {tag!r}; known: {', '.join(TAGS)}")
    chosen = by_tag(info or {}, tag or DEFAULT_TAG, present)
    if chosen:
        return chosen
    if tag is not None:
        raise ReportError(f"no outcome of this sweep carries the tag {tag!r}")
    return [o for o in KEY_OUTCOMES if o in present]


def choose_baseline(variants: list[str], requested: str | None) -> str:
    """The baseline asked for (a variant's label or a short key), or the status quo (:func:`figures.default_baseline`).

    Raises:
        ReportError: If the request names no variant or several.
    """
    if requested is None:
        return figures.default_baseline(variants)
    try:
        return figures.match_variant(variants, requested)
    except ValueError as exc:
        raise ReportError(str(exc)) from None


def effect_table(runs: pd.DataFrame, outcomes: list[str], baseline: str, info: dict[str, dict]) -> pd.DataFrame:
    """The effects as numbers: one row per variant and outcome.

    Baseline and variant means (in the outcome's unit), % change with its 95% t-interval, seeds,
    and the verdict by the outcome's direction (better, worse, or no clear change when the
    interval spans 0).
    """
    effects = figures.relative_effects(runs, outcomes, baseline)
    means = runs[runs["outcome"].isin(outcomes)].groupby(["variant", "outcome"])["value"].mean()
    rows = []
    for e in effects.itertuples(index=False):
        entry = info.get(e.outcome, {})
        direction = entry.get("direction")
        clear = e.n > 1 and (e.lo > 0 or e.hi < 0)
        if not clear:
            verdict = "no clear change"
        elif direction is None:
            verdict = "higher" if e.mean > 0 else "lower"
        else:
            verdict = "better" if (e.mean > 0) == (direction == "higher") else "worse"
        rows.append(
            {
                "variant": e.variant,
                "outcome": e.outcome,
                "unit": entry.get("unit", ""),
                "baseline": means.get((baseline, e.outcome), float("nan")),
                "mean": means.get((e.variant, e.outcome), float("nan")),
                "change_pct": e.mean,
                "lo_pct": e.lo,
                "hi_pct": e.hi,
                "seeds": e.n,
                "paired": e.paired,
                "direction": direction or "",
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def _number(x: float) -> str:
    if not pd.notna(x):
        return "n/a"
    for factor, word in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= factor:
            return f"{x / factor:.3g}{word}"
    return f"{x:.3g}"


def effect_markdown(table: pd.DataFrame) -> list[str]:
    """The effect table as Markdown, one block per variant."""
    lines = []
    for variant, rows in table.groupby("variant", sort=True):
        lines += [
            f"### `{variant}`",
            "",
            "| outcome | unit | baseline | variant | change | 95% t-interval | seeds | verdict |",
            "|---|---|---:|---:|---:|---|---:|---|",
        ]
        for r in rows.itertuples(index=False):
            arrow = {"higher": " (higher is better)", "lower": " (lower is better)"}.get(r.direction, "")
            lines.append(
                f"| {r.outcome}{arrow} | {r.unit} | {_number(r.baseline)} | {_number(r.mean)} | "
                f"{r.change_pct:+.1f}% | [{r.lo_pct:+.1f}%, {r.hi_pct:+.1f}%] | {r.seeds}"
                f"{'' if r.paired else ' (unpaired)'} | {r.verdict} |"
            )
        lines.append("")
    return lines


def draw(
    out: Path,
    tables: tuple[pd.DataFrame, ...],
    world: World,
    baseline: str,
    outcomes: list[str],
    info: dict[str, dict] | None = None,
) -> Figures:
    """Every figure of the report into ``out``, from the (runs, series, edges) tables and the outcomes' dictionary."""
    runs, series, edges = tables
    info = info or {}
    done = Figures()
    others = [v for v in sorted(set(runs["variant"])) if v != baseline]
    if others and outcomes:
        done.add(
            "Effects against the baseline",
            "outcomes",
            figures.plot_effects(runs, outcomes, baseline),
            out / "effects",
        )
    if others:
        done.add(
            "Do no harm",
            "livelihoods beside crime and violence",
            figures.plot_do_no_harm(runs, baseline, info=info),
            out / "do_no_harm",
        )
    with_series = set(series["outcome"]) if len(series) else set()  # empty when runs kept no time series
    series_outcomes = by_tag(info, SERIES_TAG, with_series) or [o for o in SERIES_OUTCOMES if o in with_series]
    for outcome in series_outcomes:
        fig = figures.plot_series(series, outcome, info=info.get(outcome))
        done.add("Monthly series", outcome, fig, out / f"series_{outcome}")
    goods = set(edges["good"]) if len(edges) else set()  # empty when runs kept no link flows
    for i, variant in enumerate(others if goods else [], start=1):
        for good in FLOW_GOODS:
            if good is not None and good not in goods:
                continue
            fig = figures.plot_flow_change(edges, variant, baseline, good=good, places=world)
            name = f"flow_{i:02d}_{_short(variant)}_{good or 'all'}"
            done.add("Flow changes", f"{variant}: {good or 'all goods (value)'}", fig, out / name)
    return done


def _short(variant: str) -> str:
    """A variant's settings by the last part of each key, for file names (the index keeps them unique)."""
    parts = []
    for setting in variant.split(", "):
        key, _, value = setting.partition("=")
        parts.append(f"{key.rsplit('.', 1)[-1]}-{value}" if value else key)
    return figures.slug("_".join(parts))


def write_markdown(
    path: Path, report: AggregateReport, baseline: str | None, done: Figures, effects: pd.DataFrame | None = None
) -> None:
    """``report.md``: what ran, the variants, the effects table and the figures (linked relative to the sweep)."""
    root = path.parent
    lines = [f"# Sweep report: {report.sweep_dir}", "", f"- {report.counts()}"]
    if report.jobs_expected is not None and report.jobs_started:
        lines.append(f"- {report.jobs_started} of {report.jobs_expected} jobs started")
    if baseline:
        lines.append(f"- baseline: `{baseline}`")
    lines += ["", "## Variants", "", "| variant | completed runs |", "|---|---|"]
    lines += [f"| `{v}` | {n} |" for v, n in sorted(report.variants.items())]
    if report.failed:
        lines += ["", "## Failed runs", "", "| run | variant | seed | error |", "|---|---|---|---|"]
        lines += [f"| {f.run} | `{f.variant}` | {f.seed} | {f.error} |" for f in report.failed]
    if effects is not None and len(effects):
        lines += [
            "",
            "## Effects against the baseline",
            "",
            "Means over seeds in each outcome's unit; change in % of the baseline, paired by seed where both have the "
            "same seeds, with its 95% Student t-interval; the verdict follows the outcome's direction and says "
            '"no clear change" when the interval includes 0.',
            "",
        ]
        lines += effect_markdown(effects)
    lines += ["", "## Tables", ""]
    lines += [
        f"- `{_rel(p, root)}`"
        for p in (report.runs_path, report.series_path, report.edges_path, report.failures_path)
        if p
    ]
    for section, items in done.sections.items():
        lines += ["", f"## {section}", ""]
        for title, base in items:
            png, svg = _rel(base.with_name(f"{base.name}.png"), root), _rel(base.with_name(f"{base.name}.svg"), root)
            lines += [f"### {title}", "", f"![{title}]({png})", "", f"[SVG]({svg})", ""]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def build(
    sweep_dir: Path, baseline: str | None = None, outcomes: str | None = None, tag: str | None = None
) -> tuple[AggregateReport, Figures, Path]:
    """Aggregate if needed, draw the figures and write report.md; return what was done.

    Raises:
        SweepError: If the directory is not a sweep.
        ReportError: For an unknown baseline or outcome.
    """
    report = stored_report(sweep_dir)
    if report is None:
        report = aggregate(sweep_dir)
        print_report(report)
    else:
        print(f"{sweep_dir}: tables up to date ({report.counts()})")
    done, chosen, effects = Figures(), None, None
    if report.completed:
        runs, series, edges, data_dir = load_tables(report)
        info = load_dictionary(report)
        chosen = choose_baseline(sorted(set(runs["variant"])), baseline)
        keys = choose_outcomes(runs, outcomes, info, tag)
        if len(set(runs["variant"])) > 1 and keys:
            effects = effect_table(runs, keys, chosen, info)
        done = draw(sweep_dir / "figures", (runs, series, edges), load_world(data_dir), chosen, keys, info)
    md = sweep_dir / "report.md"
    write_markdown(md, report, chosen, done, effects)
    return report, done, md


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: 0 when figures were drawn, 1 if no run completed, 2 for a bad request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="the sweep directory (hydra.sweep.dir)")
    parser.add_argument(
        "--baseline",
        default=None,
        help="variant to compare against: its label or a short key such as intensity=0,targeting=jihadist_only "
        "(default: the status quo)",
    )
    parser.add_argument("--outcomes", default=None, help="comma-separated outcomes for the effects")
    parser.add_argument(
        "--tag", default=None, help=f"outcomes carrying this tag (default {DEFAULT_TAG}): {', '.join(TAGS)}"
    )
    args = parser.parse_args(argv)
    try:
        report, done, md = build(args.sweep_dir, args.baseline, args.outcomes, args.tag)
    except (SweepError, ReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a read-only sweep directory, a full disk: one line, not a traceback
        print(f"error: {exc.filename or args.sweep_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(done.paths())} figure files -> {args.sweep_dir / 'figures'}")
    print(f"wrote {md}")
    return 0 if report.completed else 1


if __name__ == "__main__":
    raise SystemExit(main())
