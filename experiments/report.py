"""Figures and a summary of a sweep, in one command.

``python -m experiments.report SWEEP_DIR [--baseline LABEL] [--outcomes a,b,...]`` aggregates
the sweep (unless its tables are up to date), draws the effects of every variant against the
baseline, weekly series, flow-change maps per variant (all goods and cocaine) and the
do-no-harm panel into ``SWEEP_DIR/figures/`` (PNG and SVG), and writes ``SWEEP_DIR/report.md``
listing what ran, the variants and the figures.
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
from sim.world import World, load_world

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


def choose_outcomes(runs: pd.DataFrame, requested: str | None) -> list[str]:
    """The outcomes asked for (all must exist), or the key outcomes the sweep has."""
    present = set(runs["outcome"])
    if requested:
        asked = [o.strip() for o in requested.split(",") if o.strip()]
        unknown = [o for o in asked if o not in present]
        if unknown:
            raise ReportError(f"unknown outcome(s): {', '.join(unknown)}; see docs/ODD.md section 8")
        return asked
    return [o for o in KEY_OUTCOMES if o in present]


def choose_baseline(variants: list[str], requested: str | None) -> str:
    """The baseline asked for (it must be a variant), or :func:`figures.default_baseline`."""
    if requested is None:
        return figures.default_baseline(variants)
    if requested not in variants:
        raise ReportError(f"baseline {requested!r} is not a variant; variants: {'; '.join(variants)}")
    return requested


def draw(out: Path, tables: tuple[pd.DataFrame, ...], world: World, baseline: str, outcomes: list[str]) -> Figures:
    """Every figure of the report into ``out``, from the (runs, series, edges) tables."""
    runs, series, edges = tables
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
            figures.plot_do_no_harm(runs, baseline),
            out / "do_no_harm",
        )
    with_series = set(series["outcome"]) if len(series) else set()  # empty when runs kept no time series
    for outcome in [o for o in SERIES_OUTCOMES if o in with_series]:
        done.add("Weekly series", outcome, figures.plot_series(series, outcome), out / f"series_{outcome}")
    goods = set(edges["good"]) if len(edges) else set()  # empty when runs kept no link flows
    for i, variant in enumerate(others if goods else [], start=1):
        for good in FLOW_GOODS:
            if good is not None and good not in goods:
                continue
            fig = figures.plot_flow_change(edges, variant, baseline, good=good, places=world)
            name = f"flow_{i:02d}_{_short(variant)}_{good or 'all'}"
            done.add("Flow changes", f"{variant}: {good or 'all goods'}", fig, out / name)
    return done


def _short(variant: str) -> str:
    """A variant's settings by the last part of each key, for file names (the index keeps them unique)."""
    parts = []
    for setting in variant.split(", "):
        key, _, value = setting.partition("=")
        parts.append(f"{key.rsplit('.', 1)[-1]}-{value}" if value else key)
    return figures.slug("_".join(parts))


def write_markdown(path: Path, report: AggregateReport, baseline: str | None, done: Figures) -> None:
    """``report.md``: what ran, the variants, and the figures (linked relative to the sweep)."""
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
    sweep_dir: Path, baseline: str | None = None, outcomes: str | None = None
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
    done, chosen = Figures(), None
    if report.completed:
        runs, series, edges, data_dir = load_tables(report)
        chosen = choose_baseline(sorted(set(runs["variant"])), baseline)
        keys = choose_outcomes(runs, outcomes)
        done = draw(sweep_dir / "figures", (runs, series, edges), load_world(data_dir), chosen, keys)
    md = sweep_dir / "report.md"
    write_markdown(md, report, chosen, done)
    return report, done, md


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: 0 when figures were drawn, 1 if no run completed, 2 for a bad request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="the sweep directory (hydra.sweep.dir)")
    parser.add_argument("--baseline", default=None, help="variant to compare against (default: policy=none, ...)")
    parser.add_argument("--outcomes", default=None, help="comma-separated outcomes for the effects figure")
    args = parser.parse_args(argv)
    try:
        report, done, md = build(args.sweep_dir, args.baseline, args.outcomes)
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
