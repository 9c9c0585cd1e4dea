"""The scenario page: one run of a scenario with its map, charts, controls, detail and export.

How Play stays safe under load: the session steps in its own thread (:meth:`Session.play`);
the page never steps inside a render. A render tick (:func:`ScenarioPage`'s ``tick``) wakes at
most every :data:`RENDER_S` seconds, builds the view of the latest week outside any render,
and hands it to the page only once the previous view has been rendered. However slow the
machine, the page renders at most one new view per tick and never has its state changed
during every render pass. Anything that fails shows as a banner (``sahel-error``), not a
traceback.
"""

# Solara components are named like classes (ScenarioPage), as Solara and React do.
# ruff: noqa: N802

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
import solara

from sim.errors import SimError
from sim.outcomes import Outcome
from sim.policies import POLICIES
from simviz import charts, guard
from simviz.events import event_table, latest_event, window_table
from simviz.map import MapScale, group_names, map_parts, map_title
from simviz.package import OpenedRun, PackageError, open_run, page_totals, same_total, saved_summary
from simviz.session import Session, Settings, config_comment, parse_seed, run_config, scenario_names, week_date
from simviz.vega import Box, LiveChart

logger = logging.getLogger("simviz")

ENV_SCENARIO, ENV_SEED = "SAHEL_VIZ_SCENARIO", "SAHEL_VIZ_SEED"
RENDER_S = 0.5  # the render tick while playing: at most two new views a second
MAX_INTENSITY = 3.0
SPEEDS = (1, 2, 5, 10, 20, 0)  # weeks a second while playing; 0: as fast as the model runs


def initial_settings(query: str = "") -> Settings:
    """The settings a new tab starts with.

    From the page address's ``?scenario=NAME&seed=N``, else what ``python -m simviz`` was told,
    else the default scenario and seed 0 (a bad value is ignored).
    """
    asked = urllib.parse.parse_qs(query.lstrip("?"))
    scenario = (asked.get("scenario") or [os.environ.get(ENV_SCENARIO, "default")])[0]
    seed, _problem = parse_seed((asked.get("seed") or [os.environ.get(ENV_SEED, "0")])[0])
    return Settings(scenario=scenario if scenario in scenario_names() else "default", seed=seed or 0)


def opened_package(query: str) -> tuple[OpenedRun | None, str | None]:
    """The search package a page address opens (``?search=DIR&package=K&run=R``), or a message why not.

    The search directory must lie under the server's roots, like a sweep's (:mod:`simviz.guard`).
    """
    asked = urllib.parse.parse_qs(query.lstrip("?"))
    if "search" not in asked:
        return None, None
    try:
        directory = guard.resolve_sweep(asked["search"][0])
        package = int((asked.get("package") or ["0"])[0])
        run = int((asked.get("run") or ["0"])[0])
        return open_run(directory, package, run), None
    except (guard.GuardError, PackageError) as exc:
        return None, f"The package cannot be opened: {exc}"
    except ValueError:
        return None, "The package cannot be opened: package and run must be whole numbers"
    except Exception as exc:  # a configuration the tree rejects, say: a message, details in the log
        logger.exception("could not open a package")
        return None, f"The package cannot be opened: {type(exc).__name__}: {exc}"


def package_panel(opened: OpenedRun, session: Session, df: pd.DataFrame) -> str:
    """What the opened package is and how the page's run compares with the saved one, as HTML.

    The totals are those of ``summary.json`` (each outcome's own total over the weeks run), so at
    the run's last week they must be the saved run's, digit for digit.
    """
    extra = "".join(f"<li><code>{escape(e)}</code></li>" for e in opened.settings.extra)
    head = (
        f"<p class='sahel-package-title'><b>{escape(opened.title)}</b><br>"
        f"Saved run <code>{escape(opened.key)}</code> ({escape(str(opened.run_dir))}). The policy controls "
        "hold the package's levers; set beside them (not on the controls):</p>"
        f"<ul class='sahel-package-extra'>{extra}</ul>"
    )
    if dataclasses.replace(session.settings, compare=False) != opened.settings:  # the baseline beside it is no change
        return head + (
            "<p class='sahel-package-changed'><i>Settings changed since the package was opened: "
            "this run is no longer the saved run.</i></p>"
        )
    saved = saved_summary(opened.run_dir)
    names = [n for n in opened.objectives if n in saved] or [n for n in ("delivered_value_usd",) if n in saved]
    with session.lock:
        week, horizon = session.week, session.horizon
        done = week >= horizon
        totals = page_totals(session.model, df, None if done else names) if len(df) else {}
    rows = []
    for name in names:
        mine = totals.get(name)
        verdict = (
            ("identical" if same_total(mine, saved[name]) else "differs") if done else f"after week {week} of {horizon}"
        )
        rows.append(
            f"<tr><td>{escape(name)}</td><td class='sahel-package-page'>{'' if mine is None else f'{mine:,.6g}'}</td>"
            f"<td class='sahel-package-saved'>{saved[name]:,.6g}</td>"
            f"<td class='sahel-package-verdict'>{verdict}</td></tr>"
        )
    note = "the run is complete" if done else f"the page's totals so far (week {week} of {horizon})"
    if done and totals:
        shared = [k for k in totals if k in saved]
        same = sum(1 for k in shared if same_total(totals[k], saved[k]))
        note += f"; <span class='sahel-package-all'>{same} of {len(shared)} outcomes identical to the saved run</span>"
    return (
        head
        + "<table class='sahel-package-totals' style='font-size:0.85em'><tr><th>outcome (run total)</th>"
        + f"<th>this page</th><th>saved run</th><th></th></tr>{''.join(rows)}</table><small>{note}</small>"
    )


def label(name: str) -> str:
    """A policy's or outcome's name for people: ``border_control`` -> ``border control``."""
    return name.replace("_", " ")


def intensity_text(intensity: float) -> str:
    """An intensity as the slider shows it: one decimal, two when it has them (a search's 1.52)."""
    return f"{intensity:.1f}" if round(intensity, 1) == intensity else f"{intensity:.2f}"


def describe_policies(settings: Settings) -> str:
    """The policies of a run in one line."""
    parts = []
    for name in settings.active():
        c = settings.policy(name)
        parts.append(f"{label(name)} (intensity {c.intensity:g}, from week {c.start})")
    return "; ".join(parts) or "none (baseline)"


def time_label(session: Session) -> str:
    """``Week 3 of 520 · 28 Jan 2013``: the label the page shows (and the browser test reads)."""
    return f"Week {session.week} of {session.horizon} · {session.model.date:%d %b %Y}"


def speed_label(speed: int) -> str:
    """The Play speed slider's label, with its value."""
    return f"Play speed: {speed} weeks/s" if speed else "Play speed: as fast as it runs"


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
    """What the scenario page shows for one week, computed outside any render."""

    seq: int
    week_label: str
    week: int
    at_end: bool
    df: pd.DataFrame
    map_title: str
    map: tuple[Box, Box]
    charts: dict[str, tuple[Box, Box]]
    registry: tuple[Outcome, ...]
    package: str = ""  # the opened package's panel (package_panel), if a package was opened


_SEQ = iter(range(1, 2**62))
_SEQ_LOCK = threading.Lock()


def _next_seq() -> int:
    with _SEQ_LOCK:
        return next(_SEQ)


def with_meta(spec: dict, **meta) -> dict:
    """A chart specification with page hints for :class:`~simviz.vega.LiveVega` (fit, export name)."""
    return {**spec, "usermeta": {**spec.get("usermeta", {}), **meta}}


_META: dict[tuple[int, str], tuple[dict, dict]] = {}
_META_LOCK = threading.Lock()


def _cached_meta(spec: dict, key: str, **meta) -> dict:
    """:func:`with_meta` of a cached specification, the same object while the specification is the same.

    The browser redraws a chart only when its specification object changes.
    """
    with _META_LOCK:
        kept = _META.get((id(spec), key))
        if kept is None or kept[0] is not spec:
            if len(_META) > 512:
                _META.clear()
            kept = _META[(id(spec), key)] = (spec, with_meta(spec, **meta))
        return kept[1]


def map_view(session: Session, scale: MapScale, boxes: Boxes, week: int) -> tuple[str, tuple[Box, Box]]:
    """The map of a week already run (the scrubber's): its title and boxes.

    Who holds what, state presence and flows are that week's; checkpoints and bases are today's.
    """
    with session.lock:
        model = session.model
        template, data = map_parts(model, scale, session.run.state(week))
        date = week_date(model.start_date, week)
    spec = _cached_meta(
        template, "map", fit=True, aspect=0.72, reserve=230, minWidth=420, name="sahel-map", export=True
    )
    title = f"Week {week} ({date:%d %b %Y}, scrubbed back): that week's flows and holders; checkpoints and bases of now"
    return title, (boxes.spec("map", spec), Box(data))


def page_view(session: Session, scale: MapScale, boxes: Boxes, mode: str, opened: OpenedRun | None = None) -> PageView:
    """The week's table, map and charts of a session (reads the session under its lock)."""
    with session.lock:
        model = session.model
        df = session.run.frame()
        base_df = session.baseline.frame() if session.baseline is not None else None
        template, data = map_parts(model, scale)
        title = map_title(model)
        event = latest_event(model)
        week, at_end, label_text = session.week, session.at_end, time_label(session)
        registry = charts.page_registry(model)
        domain = (model.start_date.isoformat(), week_date(model.start_date, session.horizon).isoformat())
        events = event_table(model)
        windows = window_table(model, session.settings)
    if event:
        title += f" · latest event: {event}"
    map_spec = boxes.spec(
        "map",
        _cached_meta(template, "map", fit=True, aspect=0.72, reserve=230, minWidth=420, name="sahel-map", export=True),
    )
    parts = {}
    for c in charts.CHARTS:
        spec = charts.chart_template(c, df, registry, domain, mode, baseline=base_df is not None)
        spec = _cached_meta(
            spec,
            c.key,
            fit=True,
            reserve=70,
            minWidth=260,
            name=f"sahel-{c.key}",
            export=True,
            required="table",
            empty="No week run yet: press Step or Play.",
            title=c.title,
        )
        table = charts.chart_data(c, df, registry, mode, base_df)
        parts[c.key] = (
            boxes.spec(c.key, spec),
            Box({charts.TABLE: table, charts.EVENTS: events, charts.WINDOWS: windows}),
        )
    package = package_panel(opened, session, df) if opened is not None else ""
    return PageView(_next_seq(), label_text, week, at_end, df, title, (map_spec, Box(data)), parts, registry, package)


# --- Controls ----------------------------------------------------------------------------------


@solara.component
def PolicyControls(settings: Settings, horizon: int, start_date, on_settings):
    """On/off, intensity and first week of each policy (values in the labels); descriptions on hover."""
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
                Html(escape(config_comment("policy", name)), style="font-size: 0.78em; color: #555")
                with solara.Div(classes=["sahel-slider"]):
                    solara.SliderFloat(
                        f"intensity: {intensity_text(choice.intensity)}",
                        value=choice.intensity,
                        min=0.0,
                        max=MAX_INTENSITY,
                        step=0.01,
                        on_value=lambda v, n=name: on_settings(settings.with_policy(n, intensity=round(float(v), 2))),
                    )
                start = min(choice.start, horizon)
                with solara.Div(classes=["sahel-slider"]):
                    solara.SliderInt(
                        f"start week: {start} ({week_date(start_date, start - 1):%b %Y})",
                        value=start,
                        min=1,
                        max=horizon,
                        on_value=lambda v, n=name: on_settings(settings.with_policy(n, start=int(v))),
                    )


@solara.component
def SeedInput(settings: Settings, on_settings):
    """The seed as text, checked as the command line checks it; a bad one says why and is not used."""
    text, set_text = solara.use_state(str(settings.seed))
    _seed, problem = parse_seed(text)

    def typed(value: str) -> None:
        set_text(value)
        parsed, bad = parse_seed(value)
        if bad is None and parsed != settings.seed:
            on_settings(dataclasses.replace(settings, seed=parsed))

    solara.InputText("seed", value=text, on_value=typed, continuous_update=True, classes=["sahel-seed"])
    if problem:
        solara.Error(problem + " (the last valid seed stays)", classes=["sahel-seed-error"], dense=True)


def key_numbers(df: pd.DataFrame) -> str:
    """This week's main outcomes as an HTML table."""
    if df.empty:
        return "<p><i>No week run yet: press Step or Play.</i></p>"
    row = df.iloc[-1]
    items = [
        ("value delivered (USD/week)", f"{row['delivered_value_usd']:,.0f}"),
        ("armed-group revenue (USD/week)", f"{row['armed_group_revenue_usd']:,.0f}"),
        ("fatalities (this week)", f"{row['fatalities']:,.1f}"),
        ("bribe rate", f"{row['bribe_rate']:.0%}"),
        ("food security (index, 1 = start)", f"{row['food_security_index']:.3f}"),
        ("trust in the state (index, 1 = start)", f"{row['state_trust_index']:.3f}"),
        ("crews in the trade", f"{row['n_traffickers']:,.0f}"),
    ]
    body = "".join(f"<tr><td>{a}</td><td style='text-align:right'>{b}</td></tr>" for a, b in items)
    return f"<table class='sahel-numbers'><tr><th colspan=2 style='text-align:left'>This week</th></tr>{body}</table>"


def glossary(registry: tuple[Outcome, ...]) -> str:
    """The charts' outcomes from the registry: name, unit, which way is better, what it measures."""
    rows = []
    seen = set()
    for c in charts.CHARTS:
        for o in c.outcomes(registry):
            if o.name in seen:
                continue
            seen.add(o.name)
            better = o.better or "neither"
            rows.append(
                f"<tr><td><code>{escape(o.name)}</code></td><td>{escape(o.unit)}</td>"
                f"<td>{escape(better)}</td><td>{escape(o.doc)}</td></tr>"
            )
    head = "<tr><th>outcome</th><th>unit</th><th>better</th><th>what it measures</th></tr>"
    return f"<table class='sahel-glossary' style='font-size:0.8em'>{head}{''.join(rows)}</table>"


# --- Detail of a clicked place or route ------------------------------------------------------


def place_detail(session: Session, place: str) -> str:
    """A place's story over the weeks run: who held it since when, state presence, illicit value."""
    with session.lock:
        model, run = session.model, session.run
        world = model.world
        if place not in world.names:
            return f"<p>{escape(place)}: not a place of this world.</p>"
        i = world.names.index(place)
        holders = [int(h[i]) for h in run.holder]
        presence = [float(p[i]) for p in run.presence]
        illicit = [float(v[i]) for v in run.illicit]
        names = group_names(model)
        start = model.start_date
    kind = f"{world.region[i]}, {world.country[i]}"
    if not holders:
        return f"<p><b>{escape(place)}</b> ({escape(kind)}): no week run yet.</p>"
    changes, last = [], None
    for w, h in enumerate(holders, start=1):
        if h != last:
            who = names[h] if 0 <= h < len(names) else "no armed group"
            changes.append(f"week {w} ({week_date(start, w):%b %Y}): {escape(who)}")
            last = h
    return (
        f"<p class='sahel-detail-place'><b>{escape(place)}</b> ({escape(kind)})<br>"
        f"State presence: {presence[-1]:.0%} now, {min(presence):.0%}-{max(presence):.0%} "
        f"over {len(presence)} weeks.<br>"
        f"Illicit value through it: {illicit[-1]:,.0f} USD this week, {sum(illicit):,.0f} USD in all.<br>"
        f"Held by: {'; '.join(changes[-8:])}</p>"
    )


def link_detail(session: Session, link: str) -> str:
    """A route's flow over the weeks run."""
    with session.lock:
        world = session.model.world
        units = [u for u in session.run.edge_units]
        pairs = [f"{world.names[u]} – {world.names[v]}" for u, v in zip(world.edge_u, world.edge_v, strict=True)]
    if link not in pairs:
        return f"<p>{escape(link)}: not a route of this world.</p>"
    e = pairs.index(link)
    series = np.array([float(x[e]) for x in units]) if units else np.zeros(0)
    if not len(series):
        return f"<p><b>{escape(link)}</b>: no week run yet.</p>"
    active = int((series > 0).sum())
    return (
        f"<p class='sahel-detail-link'><b>{escape(link)}</b> ({world.edge_km[e]:.0f} km)<br>"
        f"Units carried: {series[-1]:,.0f} this week, {series.sum():,.0f} in all, "
        f"busiest week {series.max():,.0f}; used in {active} of {len(series)} weeks.</p>"
    )


# --- The page --------------------------------------------------------------------------------


def _horizon(settings: Settings) -> tuple[int, dt.date]:
    """The run's weeks and first day (for the sliders' ranges and dates)."""
    try:
        config = run_config(settings)
        return int(config.weeks), dt.date.fromisoformat(str(config.scenario.start_date))
    except Exception:  # a bad setting: Reset shows the message
        return 520, dt.date(2013, 1, 7)


def _safe_view(
    session: Session, scale: MapScale, boxes: Boxes, mode: str, opened: OpenedRun | None = None
) -> tuple[PageView | None, str | None]:
    try:
        return page_view(session, scale, boxes, mode, opened), None
    except Exception as exc:  # shown as a banner; the details go to the server log
        logger.exception("the page could not draw the week")
        return None, f"The page could not draw week {session.week}: {type(exc).__name__}: {exc}"


@solara.component
def ScenarioPage():
    """One run of a scenario with its map, charts and controls; each tab has its own session."""
    query = solara.use_router().search or ""
    opened, open_problem = solara.use_memo(lambda: opened_package(query), [])
    session: Session = solara.use_memo(
        lambda: Session(opened.settings if opened is not None else initial_settings(query)), []
    )
    settings, set_settings = solara.use_state(session.settings)
    mode, set_mode = solara.use_state("weekly")
    speed, set_speed = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    problem, set_problem = solara.use_state(open_problem)
    detail, set_detail = solara.use_state(None)
    scrubbed, set_scrubbed = solara.use_state(None)  # (week, title, map boxes) or None: follow the run
    scale_ref = solara.use_ref(MapScale.for_model(session.model))
    boxes: Boxes = solara.use_memo(Boxes, [])
    first = solara.use_memo(lambda: page_view(session, scale_ref.current, boxes, "weekly", opened), [])
    view, set_view = solara.use_state(first)
    rendered = solara.use_ref(0)
    rendered.current = view.seq if view is not None else 0

    def refresh(new_mode: str | None = None) -> None:
        new, bad = _safe_view(session, scale_ref.current, boxes, new_mode or mode, opened)
        if new is not None:
            set_view(new)
        set_problem(bad or session.error)

    def tick(cancel: threading.Event) -> None:
        # The render tick: while the session plays, show its latest week at a bounded rate.
        if not playing:
            return
        shown_week = -1
        try:
            while not cancel.is_set():
                time.sleep(RENDER_S)
                still = session.playing
                if rendered.current < _last_set[0] and still:
                    continue  # the last view is not on the page yet: never pile up renders
                if session.week != shown_week or not still:
                    new, bad = _safe_view(session, scale_ref.current, boxes, mode, opened)
                    if cancel.is_set():
                        return  # Pause or Reset showed their own view meanwhile: never overwrite it
                    if new is not None:
                        shown_week = new.week
                        _last_set[0] = new.seq
                        set_view(new)
                    if bad or session.error:
                        set_problem(bad or session.error)
                if not still:
                    set_playing(False)
                    return
        finally:
            if cancel.is_set():
                session.pause()  # the tab went away or Play was replaced: stop stepping

    _last_set = solara.use_ref([0]).current
    solara.use_thread(tick, dependencies=[playing], intrusive_cancel=False)

    def do_step() -> None:
        try:
            session.step(1)
        except Exception as exc:
            logger.exception("Step failed")
            set_problem(f"The week could not be run: {type(exc).__name__}: {exc}")
            return
        refresh()

    def do_play_pause() -> None:
        if session.playing:
            session.pause()
            refresh()  # the week it stopped at, before the buttons say it stopped
            set_playing(False)
        else:
            session.play(speed or None)
            set_playing(True)

    def do_reset() -> None:
        session.pause()
        set_playing(False)
        try:
            session.reset(settings)
        except SimError as exc:
            set_problem(f"Could not build the model: {exc}")
            return
        except Exception as exc:  # a Hydra override error, say
            set_problem(f"Could not build the model: {type(exc).__name__}: {exc}")
            return
        scale_ref.current = MapScale.for_model(session.model)
        set_detail(None)
        set_scrubbed(None)
        refresh()

    def scrub(week: int) -> None:
        if week >= view.week:
            set_scrubbed(None)  # the latest week: follow the run again
            return
        try:
            title, boxes_ = map_view(session, scale_ref.current, boxes, int(week))
        except Exception as exc:
            logger.exception("scrub failed")
            set_problem(f"The map of week {week} could not be drawn: {type(exc).__name__}: {exc}")
            return
        set_scrubbed((int(week), title, boxes_))

    def change_speed(value: int) -> None:
        set_speed(value)
        session.weeks_per_second = value or None

    def change_mode(value: str) -> None:
        set_mode(value)
        refresh(value)

    def clicked(what: dict) -> None:
        try:
            if what.get("place"):
                set_detail(place_detail(session, what["place"]))
            elif what.get("link"):
                set_detail(link_detail(session, what["link"]))
        except Exception as exc:
            logger.exception("detail failed")
            set_detail(f"<p>No detail: {escape(str(exc))}</p>")

    horizon, start_date = solara.use_memo(lambda: _horizon(settings), [settings.scenario, settings.extra])
    pending = settings != session.settings
    speed_index = SPEEDS.index(speed) if speed in SPEEDS else len(SPEEDS) - 1

    solara.Title("sahel-sim: scenario")
    with solara.Sidebar():
        with solara.Card("Run", margin=0, classes=["sahel-run"]):
            solara.Text(view.week_label, classes=["sahel-week"], style={"font-size": "1.1em", "font-weight": "bold"})
            with solara.Row(justify="space-between"):
                solara.Button(
                    "Reset", color="warning" if pending else "primary", on_click=do_reset, classes=["sahel-reset"]
                )
                solara.Button(
                    "Pause" if playing else "Play",
                    color="primary",
                    on_click=do_play_pause,
                    disabled=view.at_end and not playing,
                    classes=["sahel-play"],
                )
                solara.Button(
                    "Step",
                    color="primary",
                    on_click=do_step,
                    disabled=playing or view.at_end,
                    classes=["sahel-step"],
                )
            with solara.Div(classes=["sahel-slider", "sahel-speed"]):
                solara.SliderInt(
                    speed_label(speed),
                    value=speed_index,
                    min=0,
                    max=len(SPEEDS) - 1,
                    on_value=lambda i: change_speed(SPEEDS[int(i)]),
                    thumb_label=False,
                )
            if view.at_end:
                solara.Info("End of the scenario: Reset to run again.")
            if pending:
                solara.Warning("Settings changed: press Reset to build a model with them.", classes=["sahel-pending"])
            if problem:
                solara.Error(problem, classes=["sahel-error"])
        with solara.Card("Scenario", margin=0):
            solara.Select(
                "scenario",
                value=settings.scenario,
                values=scenario_names(),
                on_value=lambda v: set_settings(dataclasses.replace(settings, scenario=v)),
            )
            Html(escape(config_comment("scenario", settings.scenario)), style="font-size: 0.78em; color: #555")
            SeedInput(settings, set_settings)
            with solara.Div(classes=["sahel-compare"]):
                solara.Checkbox(
                    label="compare with baseline (same seed, no policies)",
                    value=settings.compare,
                    on_value=lambda v: set_settings(dataclasses.replace(settings, compare=bool(v))),
                )
        with solara.Card("Policies", margin=0, classes=["sahel-policies"]):
            PolicyControls(settings, horizon, start_date, set_settings)
        with solara.Card("Export", margin=0, classes=["sahel-export-card"]):
            with solara.Div(classes=["sahel-csv"]):
                solara.FileDownload(
                    lambda: view.df.to_csv(index=False).encode(),
                    filename=f"sahel_{session.settings.scenario}_seed{session.settings.seed}_week{view.week}.csv",
                    label="weekly table (CSV)",
                )
            Html(
                "Reproduce on the command line:<br>"
                f"<code class='sahel-command'>{escape(session.settings.command())}</code><br>"
                "Map and charts: PNG or SVG under each.",
                style="font-size: 0.8em",
            )

    with solara.Column(style={"padding": "8px"}, classes=["sahel-main"]):
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(gap="0px", style={"flex": "1 1 640px", "min-width": "420px"}):
                shown = scrubbed if scrubbed is not None and not playing and scrubbed[0] < view.week else None
                Html(
                    escape(shown[1] if shown else view.map_title),
                    classes=["sahel-map-title"],
                    style="font-weight: bold; font-size: 1.05em",
                )
                LiveChart(*(shown[2] if shown else view.map), classes=["sahel-map"], on_click=clicked)
                if view.week > 1 and not playing:
                    with solara.Div(classes=["sahel-slider", "sahel-scrubber"], style={"max-width": "640px"}):
                        at = shown[0] if shown else view.week
                        solara.SliderInt(
                            f"map week: {at} of {view.week} run" + ("" if shown else " (follows the run)"),
                            value=at,
                            min=1,
                            max=view.week,
                            on_value=scrub,
                        )
            with solara.Column(style={"flex": "0 1 380px", "min-width": "280px"}):
                if view.package:
                    Html(view.package, classes=["sahel-package"])
                Html(
                    f"<b>{escape(session.settings.scenario)} scenario</b>, seed {session.settings.seed}<br>"
                    f"Policies: {escape(describe_policies(session.settings))}"
                    + ("<br>Dashed: the baseline (same seed, no policies)" if session.baseline is not None else ""),
                    classes=["sahel-run-info"],
                )
                Html(
                    detail or "<p><i>Click a place or a route on the map for its story.</i></p>",
                    classes=["sahel-detail"],
                )
                Html(key_numbers(view.df))
                Html(
                    "Hover over a place or a route for its name, holder, state presence and flow; click it for "
                    "its history. Links: width = units carried this week, colour = armed group holding their "
                    "ends (grey dashed: nothing moved). Halo: state presence. Black square: staffed checkpoint; "
                    "blue triangle: mission base. Arrows at the edge: links to markets beyond it.",
                    style="font-size: 0.85em; color: #555; margin-top: 8px",
                )
        with solara.Row(style={"align-items": "center"}):
            solara.ToggleButtonsSingle(
                value=mode, values=list(charts.MODES), on_value=change_mode, classes=["sahel-mode"]
            )
            Html(
                f"Charts: {escape(charts.MODES[mode])}. Dotted rules: events; shaded: policy windows.",
                style="font-size: 0.85em; color: #555",
            )
        with solara.Div(
            style={"display": "grid", "grid-template-columns": "repeat(auto-fill, minmax(360px, 1fr))", "gap": "12px"},
            classes=["sahel-charts"],
        ):
            for c in charts.CHARTS:
                with solara.Div(classes=["sahel-chart-box"]):
                    LiveChart(*view.charts[c.key], classes=["sahel-chart", f"sahel-chart-{c.key}"])
        with solara.Details("Glossary of the charts' outcomes (from the outcome registry)"):
            Html(glossary(view.registry))
