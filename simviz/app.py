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

import dataclasses
import io
import logging
import os
import threading
import time
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
from sim.errors import SimError
from sim.policies import POLICIES
from sim.world import load_world
from simviz import charts, guard
from simviz.map import MapScale, map_parts, map_title
from simviz.session import Session, Settings, scenario_config, scenario_names
from simviz.vega import Box, LiveChart

logger = logging.getLogger("simviz")

ENV_SCENARIO, ENV_SEED, ENV_SWEEP = "SAHEL_VIZ_SCENARIO", "SAHEL_VIZ_SEED", "SAHEL_VIZ_SWEEP"
PLAY_PAUSE_S = 0.05  # between updates while playing: time for the browser and for a Pause click
MAX_INTENSITY = 3.0
_FIGURE_LOCK = threading.Lock()  # pyplot's state is global: one figure at a time across tabs


def initial_settings() -> Settings:
    """The settings a new tab starts with: the default scenario, or what ``python -m simviz`` was told."""
    scenario = os.environ.get(ENV_SCENARIO, "default")
    seed = guard.seed(os.environ.get(ENV_SEED, "0"), 0)
    return Settings(scenario=scenario if scenario in scenario_names() else "default", seed=seed)


def label(name: str) -> str:
    """A policy's or outcome's name for people: ``border_control`` -> ``border control``."""
    return name.replace("_", " ")


def describe_policies(settings: Settings) -> str:
    """The policies of a run in one line."""
    parts = []
    for name in settings.active():
        c = settings.policy(name)
        parts.append(f"{label(name)} (intensity {c.intensity:g}, from week {c.start})")
    return "; ".join(parts) or "none (baseline)"


def time_label(session: Session) -> str:
    """``Week 3 of 520 · 28 Jan 2013``: the label the page shows (and the browser test reads)."""
    model = session.model
    return f"Week {session.week} of {session.horizon} · {model.date:%d %b %Y}"


# --- Scenario page -----------------------------------------------------------------------------


@solara.component
def Html(html: str, classes: list[str] | None = None, style: str = ""):
    """Trusted HTML built by this module (solara.Markdown would fetch Mermaid from a CDN)."""
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=classes or [], style=style)


class Boxes:
    """One tab's :class:`~simviz.vega.Box` es: the same box while a chart's specification is the same object."""

    def __init__(self) -> None:
        self.kept: dict[str, Box] = {}

    def spec(self, key: str, spec: dict) -> Box:
        """The box of a chart's specification, new only when the specification is new."""
        box = self.kept.get(key)
        if box is None or box.value is not spec:
            box = self.kept[key] = Box(spec)
        return box


@dataclass
class PageView:
    """What the scenario page shows for one week, computed once per week."""

    df: pd.DataFrame
    map_title: str
    map: tuple[Box, Box]
    charts: dict[str, tuple[Box, Box]]


def page_view(session: Session, scale: MapScale, boxes: Boxes) -> PageView:
    """The week's table, map and charts of a session."""
    with session.lock:
        df = session.frame()
        template, data = map_parts(session.model, scale)
        title = map_title(session.model)
    chart_parts = {
        c.key: (boxes.spec(c.key, charts.chart_template(c, df)), Box(charts.chart_data(c, df))) for c in charts.CHARTS
    }
    return PageView(df, title, (boxes.spec("map", template), Box(data)), chart_parts)


@solara.component
def PolicyControls(settings: Settings, horizon: int, on_settings):
    """On/off, intensity and first week of each policy; the levers show when a policy is on."""
    for name in POLICIES:
        choice = settings.policy(name)
        with solara.Div(classes=[f"sahel-policy-{name}"]):
            solara.v.Checkbox(
                label=label(name),
                v_model=choice.enabled,
                on_v_model=lambda v, n=name: on_settings(settings.with_policy(n, enabled=bool(v))),
                dense=True,
                hide_details=True,
                class_="mt-0",
            )
            if choice.enabled:
                solara.SliderFloat(
                    "intensity",
                    value=choice.intensity,
                    min=0.0,
                    max=MAX_INTENSITY,
                    step=0.1,
                    on_value=lambda v, n=name: on_settings(settings.with_policy(n, intensity=round(float(v), 2))),
                )
                solara.SliderInt(
                    "start week",
                    value=min(choice.start, horizon),
                    min=1,
                    max=horizon,
                    on_value=lambda v, n=name: on_settings(settings.with_policy(n, start=int(v))),
                )


def key_numbers(df: pd.DataFrame) -> str:
    """This week's main outcomes as an HTML table."""
    if df.empty:
        return "<p><i>No week run yet: press Step or Play.</i></p>"
    row = df.iloc[-1]
    items = [
        ("value delivered (USD)", f"{row['delivered_value_usd']:,.0f}"),
        ("armed-group revenue (USD)", f"{row['armed_group_revenue_usd']:,.0f}"),
        ("fatalities", f"{row['fatalities']:,.1f}"),
        ("bribe rate", f"{row['bribe_rate']:.0%}"),
        ("food security (index)", f"{row['food_security_index']:.3f}"),
        ("trust in the state (index)", f"{row['state_trust_index']:.3f}"),
        ("crews in the trade", f"{row['n_traffickers']:,.0f}"),
    ]
    body = "".join(f"<tr><td>{a}</td><td style='text-align:right'>{b}</td></tr>" for a, b in items)
    return f"<table class='sahel-numbers'><tr><th colspan=2 style='text-align:left'>This week</th></tr>{body}</table>"


@solara.component
def ScenarioPage():
    """One run of a scenario with its map, charts and controls; each tab has its own model."""
    session: Session = solara.use_memo(lambda: Session(initial_settings()), [])
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    settings, set_settings = solara.use_state(session.settings)
    per_update, set_per_update = solara.use_state(1)
    error, set_error = solara.use_state(None)
    scale: MapScale = solara.use_memo(lambda: MapScale.for_model(session.model), [session.generation])

    def bump() -> None:
        set_version(lambda v: v + 1)

    def play_loop(cancel: threading.Event) -> None:
        if not playing:
            return
        generation = session.generation
        while not cancel.is_set():
            ran = session.step(per_update, generation=generation)
            if ran:
                bump()
            if not ran or session.at_end or session.generation != generation:
                set_playing(False)
                return
            time.sleep(PLAY_PAUSE_S)

    solara.use_thread(play_loop, dependencies=[playing, per_update], intrusive_cancel=False)

    def do_step() -> None:
        if session.step(1):
            bump()

    def do_play_pause() -> None:
        set_playing(not playing)

    def do_reset() -> None:
        set_playing(False)
        try:
            session.reset(settings)
            set_error(None)
        except SimError as exc:
            set_error(f"Could not build the model: {exc}")
        bump()

    horizon = solara.use_memo(lambda: _horizon(settings), [settings.scenario])
    boxes: Boxes = solara.use_memo(Boxes, [])
    view = solara.use_memo(lambda: page_view(session, scale, boxes), [version, session.generation])
    pending = settings != session.settings

    solara.Title("sahel-sim: scenario")
    with solara.Sidebar():
        with solara.Card("Run", margin=0, classes=["sahel-run"]):
            solara.Text(
                time_label(session), classes=["sahel-week"], style={"font-size": "1.1em", "font-weight": "bold"}
            )
            with solara.Row(justify="space-between"):
                solara.Button(
                    "Reset",
                    color="warning" if pending else "primary",
                    on_click=do_reset,
                    classes=["sahel-reset"],
                )
                solara.Button(
                    "Pause" if playing else "Play",
                    color="primary",
                    on_click=do_play_pause,
                    disabled=session.at_end and not playing,
                    classes=["sahel-play"],
                )
                solara.Button(
                    "Step",
                    color="primary",
                    on_click=do_step,
                    disabled=playing or session.at_end,
                    classes=["sahel-step"],
                )
            solara.SliderInt("weeks per update (Play)", value=per_update, min=1, max=26, on_value=set_per_update)
            if session.at_end:
                solara.Info("End of the scenario: Reset to run again.")
            if pending:
                solara.Warning("Settings changed: press Reset to build a model with them.", classes=["sahel-pending"])
            if error:
                solara.Error(error, classes=["sahel-error"])
        with solara.Card("Scenario", margin=0):
            solara.Select(
                "scenario",
                value=settings.scenario,
                values=scenario_names(),
                on_value=lambda v: set_settings(_replace(settings, scenario=v)),
            )
            solara.InputInt(
                "seed",
                value=settings.seed,
                on_value=lambda v: set_settings(_replace(settings, seed=guard.seed(v, settings.seed))),
            )
        with solara.Card("Policies", margin=0, classes=["sahel-policies"]):
            PolicyControls(settings, horizon, set_settings)

    with solara.Column(style={"padding": "8px"}):
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(gap="0px"):
                Html(escape(view.map_title), classes=["sahel-map-title"], style="font-weight: bold; font-size: 1.05em")
                LiveChart(*view.map, classes=["sahel-map"])
            with solara.Column(style={"min-width": "300px", "max-width": "420px"}):
                Html(
                    f"<b>{escape(session.settings.scenario)} scenario</b>, seed {session.settings.seed}<br>"
                    f"Policies: {escape(describe_policies(session.settings))}",
                    classes=["sahel-run-info"],
                )
                Html(key_numbers(view.df))
                Html(
                    "Hover over a place or a route for its name, holder, state presence and flow. "
                    "Links: width = units carried this week, colour = armed group holding their ends "
                    "(grey dashed: nothing moved). Halo: state presence. Black square: staffed "
                    "checkpoint; blue triangle: mission base. Arrows at the edge: links to markets beyond it.",
                    style="font-size: 0.85em; color: #555; margin-top: 8px",
                )
        with solara.Row(style={"flex-wrap": "wrap", "gap": "12px"}):
            for c in charts.CHARTS:
                LiveChart(*view.charts[c.key], classes=["sahel-chart", f"sahel-chart-{c.key}"])


def _replace(settings: Settings, **changes) -> Settings:
    return dataclasses.replace(settings, **changes)


def _horizon(settings: Settings) -> int:
    try:
        return int(scenario_config(settings).steps)
    except SimError:
        return 520


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

    A sweep directory is aggregated first unless its tables are up to date (as
    ``python -m experiments.report`` does), which writes the tables into it.

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


def draw(kind: str, data: SweepData, **kwargs) -> bytes:
    """One of the sweep figures of :mod:`experiments.figures` as PNG bytes."""
    with _FIGURE_LOCK:
        if kind == "effects":
            fig = figures.plot_effects(data.runs, kwargs["outcomes"], kwargs["baseline"])
        elif kind == "series":
            fig = figures.plot_series(data.series, kwargs["outcome"])
        elif kind == "flow":
            world = load_world(data.data_dir)
            fig = figures.plot_flow_change(
                data.edges, kwargs["variant"], kwargs["baseline"], good=kwargs["good"], places=world
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
