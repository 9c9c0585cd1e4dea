"""The browser app: a scenario page (map, live charts, controls) and a sweep page.

Run it with ``python -m simviz`` (or ``solara run simviz.app``). Two routes:

- ``/``: one scenario run, week by week. The sidebar chooses the scenario, the seed and the
  policies (each on or off, with its intensity and first week); Reset builds a model from them,
  Step runs a week, Play runs weeks until Pause or the scenario's end. The map and the charts
  follow the model.
- ``/sweep``: the figures of a sweep directory (or of its aggregated tables), as
  ``python -m experiments.report`` draws them, with the baseline, outcomes, variant and good
  chosen on the page. ``/sweep?dir=PATH`` opens a directory directly.

Each tab builds its own :class:`~simviz.session.Session` inside its page component, never at
module level: a module-level model would be shared by every tab (NOTES.md). The page follows
the layout of Mesa's SolaraViz (controls and model parameters in the sidebar, components in the
main area) but has its own controller and layout: SolaraViz's play loop sleeps, then steps
whatever model is current, so Reset pressed during Play can leave the new model at week 1
instead of 0; its Reset passes a Mesa ``Scenario`` to a model argument named ``scenario``; and
its draggable grid gives each component half the width, too little for a map.
"""

# Solara components are named like classes (ScenarioPage, SweepPage), as Solara and React do.
# ruff: noqa: N802

from __future__ import annotations

import functools
import io
import logging
import os
import threading
import urllib.parse
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a server draws to images, never to a window

import matplotlib.pyplot as plt
import pandas as pd
import solara

from experiments import figures
from experiments.aggregate import AggregateReport, SweepError, aggregate, stored_report
from experiments.report import KEY_OUTCOMES, load_tables
from sim.world import load_world
from simviz import guard
from simviz.decision import DecisionResults, has_results
from simviz.scenario_page import ENV_SCENARIO, ENV_SEED, ScenarioPage

logger = logging.getLogger("simviz")

ENV_SWEEP = "SAHEL_VIZ_SWEEP"
__all__ = ["ENV_SCENARIO", "ENV_SEED", "ENV_SWEEP", "ScenarioPage", "SweepPage", "routes"]
_FIGURE_LOCK = threading.Lock()  # pyplot's state is global: one figure at a time across tabs


@solara.component
def Html(html: str, classes: list[str] | None = None, style: str = ""):
    """Trusted HTML built by this module (solara.Markdown would fetch Mermaid from a CDN)."""
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=classes or [], style=style)


# --- Sweep page --------------------------------------------------------------------------------

TABLES = ("runs.parquet", "series.parquet", "edges.parquet")


@dataclass
class SweepData:
    """A sweep's tables and what the page offers to choose from them."""

    path: Path
    counts: str
    runs: pd.DataFrame
    series: pd.DataFrame
    edges: pd.DataFrame
    data_dir: str | None
    variants: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    series_outcomes: list[str] = field(default_factory=list)
    goods: list[str] = field(default_factory=list)


class SweepLoadError(ValueError):
    """A directory the sweep page cannot show; the message says why, in one line."""


def _has_tables(directory: Path) -> bool:
    return all((directory / t).is_file() for t in TABLES)


def load_sweep(text: str) -> SweepData:
    """Read a sweep directory, or a directory of aggregated tables (or one of its tables).

    A sweep directory is aggregated first unless its tables are up to date; the page writes the
    tables it derives into its own cache, never into the sweep (:mod:`simviz.guard`).

    Raises:
        SweepLoadError: With a one-line message for anything that is not a readable sweep.
    """
    text = text.strip()
    if not text:
        raise SweepLoadError("Enter the path of a sweep directory (hydra.sweep.dir) or of its aggregated tables.")
    try:
        path = guard.resolve_sweep(text)  # under the roots chosen at start, bounded (simviz/guard.py)
    except guard.GuardError as exc:
        raise SweepLoadError(str(exc)) from None
    if path.is_file() and path.suffix == ".parquet":
        path = path.parent
    if not path.exists():
        raise SweepLoadError(f"{path}: no such directory.")
    if not path.is_dir():
        raise SweepLoadError(f"{path}: not a directory (expected a sweep directory or its aggregated tables).")
    try:
        report = stored_report(path, guard.cache_dir(path)) or stored_report(path)
        if report is None and _has_tables(path) and not (path / "runs").is_dir():
            report = _table_report(path)  # aggregated tables written elsewhere (--out)
        if report is None:
            if not (path / "runs").is_dir():
                raise SweepLoadError(f"{text}: no runs found (a sweep directory has runs/ or aggregated tables).")
            report = aggregate(path, guard.cache_dir(path), progress=False)  # never into the sweep
        if not report.completed and report.runs_path is None:
            raise SweepLoadError(f"{path}: no completed runs ({report.counts()}).")
        runs, series, edges, data_dir = load_tables(report)
    except SweepLoadError:
        raise
    except SweepError as exc:
        raise SweepLoadError(str(exc)) from None
    except PermissionError as exc:
        raise SweepLoadError(f"{path}: permission denied ({exc.filename or path}).") from None
    except OSError as exc:
        raise SweepLoadError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    except Exception as exc:  # a corrupt table, say: a message, and the details in the server log
        logger.exception("could not read sweep %s", path)
        raise SweepLoadError(f"{path}: could not be read as a sweep ({type(exc).__name__}: {exc}).") from None
    if runs.empty:
        raise SweepLoadError(f"{path}: the sweep has no completed runs ({report.counts()}).")
    variants = sorted(set(runs["variant"]))
    present = set(runs["outcome"])
    return SweepData(
        path=path,
        counts=report.counts(),
        runs=runs,
        series=series,
        edges=edges,
        data_dir=data_dir,
        variants=variants,
        outcomes=sorted(present),
        series_outcomes=sorted(set(series["outcome"])) if len(series) else [],
        goods=sorted(set(edges["good"])) if len(edges) else [],
    )


def _table_report(path: Path) -> AggregateReport:
    """A report for a directory holding only the aggregated tables (and maybe aggregate.json)."""
    stored = path / "aggregate.json"
    report = None
    if stored.is_file():
        try:
            report = AggregateReport.from_json(stored.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError):
            report = None
    report = report or AggregateReport(sweep_dir=path, out_dir=path, completed=["?"])
    report.runs_path, report.series_path, report.edges_path = (path / t for t in TABLES)
    return report


def candidate_sweeps(root: Path | None = None, limit: int = 20) -> list[str]:
    """Sweep directories under the sweep roots (default: ``multirun/`` of the working directory), newest first."""
    bases = [root / "multirun"] if root is not None else guard.roots()
    found = []
    for base in (b for b in bases if b.is_dir()):
        for depth in ("*", "*/*"):
            for d in base.glob(depth):
                if d.is_dir() and ((d / "runs").is_dir() or _has_tables(d)):
                    found.append(d)
    found.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    return [str(d) for d in found[:limit]]


def figure_png(fig: plt.Figure) -> bytes:
    """A figure as PNG bytes; the figure is closed."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=100)
    finally:
        plt.close(fig)
    return buf.getvalue()


@functools.cache
def outcome_labels() -> dict[str, str]:
    """Each outcome's name for people, from the registry: what it measures and its unit.

    The registry is built by a model (its goods and places name some outcomes); a small one,
    once per server.
    """
    from sim.model import SahelModel
    from simviz.session import Settings, run_config

    cfg = run_config(Settings(scenario="small", burn_in_weeks=0))
    model = SahelModel(cfg.scenario, seed=0, policy=cfg.policy)
    return {o.name: f"{o.doc} ({o.unit})" for o in model.outcomes}


def variant_label(variant: str) -> str:
    """A sweep variant for people: ``policy=border_control`` -> ``border control``."""
    parts = []
    for setting in variant.split(", "):
        key, _eq, value = setting.partition("=")
        if key == "policy":
            parts.append("no policy" if value == "none" else value.strip("[]").replace("_", " ").replace(",", " + "))
        else:
            name = key.removeprefix("policy.").removeprefix("scenario.").replace("_", " ").replace(".", ": ")
            parts.append(f"{name} {value}")
    return "\n".join(parts)


def _borders() -> list:
    import numpy as np

    from simviz.borders import COUNTRIES

    return [
        np.array([[float(v) for v in pair.split()] for pair in ring.split(",")])
        for rings in COUNTRIES.values()
        for ring in rings
    ]


def draw(kind: str, data: SweepData, **kwargs) -> bytes:
    """One of the sweep figures of :mod:`experiments.figures` as PNG bytes, labelled from the registry."""
    with _FIGURE_LOCK:
        if kind == "effects":
            fig = figures.plot_effects(
                data.runs,
                kwargs["outcomes"],
                kwargs["baseline"],
                labels=outcome_labels(),
                variant_label=variant_label,
                show_n=True,
            )
        elif kind == "series":
            fig = figures.plot_series(data.series, kwargs["outcome"])
            fig.axes[0].set_title(
                f"{outcome_labels().get(kwargs['outcome'], kwargs['outcome'])}: weekly mean over seeds, 95% band",
                fontsize=10,
            )
        elif kind == "flow":
            world = load_world(data.data_dir)
            fig = figures.plot_flow_change(
                data.edges,
                kwargs["variant"],
                kwargs["baseline"],
                good=kwargs["good"],
                places=world,
                borders=_borders(),
            )
        elif kind == "do_no_harm":
            fig = figures.plot_do_no_harm(data.runs, kwargs["baseline"])
        else:
            raise ValueError(kind)
        return figure_png(fig)


@solara.component
def Figure(kind: str, data: SweepData, options: dict):
    """A sweep figure, redrawn only when its inputs change; a failure shows as a message."""
    deps = [id(data), kind, *[f"{k}={v}" for k, v in sorted(options.items())]]

    def make():
        try:
            return draw(kind, data, **options), None
        except Exception as exc:  # e.g. an outcome without values: say so, keep the page
            logger.exception("figure %s failed", kind)
            return None, f"{type(exc).__name__}: {exc}"

    png, problem = solara.use_memo(make, deps)
    with solara.Div(classes=["sahel-figure", f"sahel-figure-{kind}"]):
        if problem:
            solara.Warning(f"This figure could not be drawn: {problem}")
        else:
            solara.Image(png, width="100%")


def _query_dir() -> str | None:
    router = solara.use_router()
    query = urllib.parse.parse_qs(router.search or "")
    values = query.get("dir")
    return values[0] if values else None


@solara.component
def SweepPage():
    """The comparison figures of a sweep, chosen interactively."""
    initial = _query_dir() or os.environ.get(ENV_SWEEP, "")
    text, set_text = solara.use_state(initial)
    requested, set_requested = solara.use_state(initial)
    reload, set_reload = solara.use_state(0)
    baseline, set_baseline = solara.use_state(None)
    outcomes, set_outcomes = solara.use_state(None)
    series_outcome, set_series_outcome = solara.use_state(None)
    variant, set_variant = solara.use_state(None)
    good, set_good = solara.use_state("all goods")

    def load():
        if not requested:
            return None, None
        try:
            return load_sweep(requested), None
        except SweepLoadError as exc:
            return None, str(exc)

    result = solara.use_thread(load, dependencies=[requested, reload], intrusive_cancel=False)
    data, problem = result.value if result.value is not None else (None, None)
    loading = result.state in (solara.ResultState.STARTING, solara.ResultState.RUNNING, solara.ResultState.WAITING)

    solara.Title("sahel-sim: sweeps")
    with solara.Column(style={"padding": "12px", "max-width": "1400px"}):
        Html(
            "<h3>Sweep results</h3><p>A sweep directory (<code>hydra.sweep.dir</code> of "
            "<code>python -m sim -m ...</code>) or a directory of its aggregated tables "
            "(<code>runs.parquet</code>, <code>series.parquet</code>, <code>edges.parquet</code>). "
            "A sweep is aggregated first if its tables are missing or out of date.</p>"
        )
        with solara.Row(style={"align-items": "center"}):
            solara.InputText(
                "sweep directory", value=text, on_value=set_text, continuous_update=True, classes=["sahel-sweep-dir"]
            )
            solara.Button(
                "Load",
                color="primary",
                on_click=lambda: (set_requested(text.strip()), set_reload(reload + 1)),
                classes=["sahel-sweep-load"],
            )
        found = candidate_sweeps()
        if found:
            solara.Select(
                "or pick a sweep under multirun/",
                value=None,
                values=found,
                on_value=lambda v: (set_text(v), set_requested(v)),
            )
        if loading:
            solara.Info(f"Reading {requested} ...")
            solara.ProgressLinear(True)
            return
        if problem:
            solara.Error(problem, classes=["sahel-sweep-error"])
            return
        if result.error is not None:
            solara.Error(f"{requested}: could not be read ({result.error})", classes=["sahel-sweep-error"])
            return
        if data is None:
            return
        SweepView(
            data,
            baseline or figures.default_baseline(data.variants),
            outcomes,
            series_outcome,
            variant,
            good,
            {
                "baseline": set_baseline,
                "outcomes": set_outcomes,
                "series": set_series_outcome,
                "variant": set_variant,
                "good": set_good,
            },
        )
        if has_results(requested):  # scenario discovery or a policy search ran here (simviz/decision.py)
            DecisionResults(requested)


@solara.component
def SweepView(data: SweepData, baseline, outcomes, series_outcome, variant, good, setters):
    """The choices and figures of one loaded sweep."""
    if baseline not in data.variants:
        baseline = figures.default_baseline(data.variants)
    others = [v for v in data.variants if v != baseline]
    chosen = [o for o in (outcomes or [k for k in KEY_OUTCOMES if k in data.outcomes]) if o in data.outcomes]
    series_choice = series_outcome if series_outcome in data.series_outcomes else None
    if series_choice is None and data.series_outcomes:
        preferred = [o for o in ("delivered_value_usd", "fatalities") if o in data.series_outcomes]
        series_choice = (preferred or data.series_outcomes)[0]
    variant = variant if variant in others else (others[0] if others else None)
    goods = ["all goods", *data.goods]
    good = good if good in goods else "all goods"

    variants = "; ".join(f"<code>{escape(v)}</code>" for v in data.variants)
    Html(f"<b>{escape(str(data.path))}</b>: {escape(data.counts)}.<br>Variants: {variants}", ["sahel-sweep-summary"])
    solara.Select("baseline", value=baseline, values=data.variants, on_value=setters["baseline"])
    if not others:
        solara.Warning("The sweep has a single variant: there is nothing to compare it with.")
    else:
        solara.SelectMultiple("outcomes", values=chosen, all_values=data.outcomes, on_value=setters["outcomes"])
        if chosen:
            Figure("effects", data, {"outcomes": tuple(chosen), "baseline": baseline})
        Figure("do_no_harm", data, {"baseline": baseline})
    with solara.Columns([1, 1]):
        with solara.Column():
            if series_choice is not None:
                solara.Select(
                    "weekly series of", value=series_choice, values=data.series_outcomes, on_value=setters["series"]
                )
                Figure("series", data, {"outcome": series_choice})
            else:
                solara.Info("The runs kept no weekly series (output.timeseries=false).")
        with solara.Column():
            if others and data.goods:
                with solara.Row():
                    solara.Select("flow change of", value=variant, values=others, on_value=setters["variant"])
                    solara.Select("good", value=good, values=goods, on_value=setters["good"])
                options = {"variant": variant, "baseline": baseline, "good": None if good == "all goods" else good}
                Figure("flow", data, options)
            elif others:
                solara.Info("The runs kept no link flows (output.edges=false): no flow-change map.")


# --- The app -----------------------------------------------------------------------------------


@solara.component
def Layout(children=None):
    """The app bar with a link to each page (Solara's own tabs would be named by path)."""
    route, all_routes = solara.use_route()
    with solara.AppLayout(children=children or [], title="sahel-sim", navigation=False) as main, solara.AppBar():
        for r in all_routes:
            with solara.Link(solara.resolve_path(r)):
                solara.Button(
                    r.label,
                    text=r is not route,
                    outlined=r is route,
                    color="white",
                    classes=[f"sahel-nav-{r.path.strip('/') or 'scenario'}"],
                )
    return main


routes = [
    solara.Route(path="/", component=ScenarioPage, label="Scenario", layout=Layout),
    solara.Route(path="sweep", component=SweepPage, label="Sweeps"),
]
