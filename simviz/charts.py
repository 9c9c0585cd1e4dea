"""Live charts of the main outcomes (docs/ODD.md section 8), one Vega-Lite chart each.

Each chart is split in two, for speed: a structure built once with Altair over named data sets
(:func:`chart_template`, cached: axes, the scenario's whole horizon on x, y from zero, events
and policy windows as annotations) and the weekly data set ``table``, rebuilt from the session's
weekly table (:func:`chart_data`). The browser keeps the chart and only swaps the data
(:class:`simviz.vega.LiveVega`).

What a chart shows comes from the outcome registry (:mod:`sim.outcomes`): each chart selects
its outcomes by tag (falling back to its own list while a tag selects nothing) and takes their
``unit``, ``better`` and ``doc`` for the axis and the hover text. The weekly series can be
shown as they are, smoothed (4-week mean) or by month (the month's mean of its weeks).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass

import altair as alt
import pandas as pd

from sim.names import REVENUE_SOURCES
from sim.outcomes import TAGS, Outcome, tagged

WIDTH, HEIGHT = 380, 150
TABLE, EVENTS, WINDOWS = "table", "events", "windows"
MODES = {"weekly": "weekly values", "smoothed": "4-week mean", "monthly": "by month"}
BASELINE = " (baseline)"
# Units of the registry as an axis says them.
UNIT_NAMES = {"USD": "US dollars", "share": "share", "deaths": "deaths", "index": "index"}


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the page.

    Attributes:
        key: Its handle (CSS class ``sahel-chart-<key>``, used by the browser test).
        title: Title over the chart.
        kind: ``stacked`` (areas adding up) or ``lines``.
        tag: Registry tag whose outcomes it shows (those in the unit of the chart's first fallback outcome).
        fallback: Outcomes shown while the tag selects none of this model's outcomes; a name
            ending in ``.`` takes every column that starts with it.
        fmt: d3 format of the values.
        exclude_tags: Tags whose outcomes a tagged selection leaves out (per region, per good).
    """

    key: str
    title: str
    kind: str
    tag: str | None
    fallback: tuple[str, ...]
    fmt: str
    exclude_tags: tuple[str, ...] = ("per_region", "per_good", "per_crossing", "headline_total", "diagnostic")

    def outcomes(self, registry: tuple[Outcome, ...]) -> tuple[Outcome, ...]:
        """The registry's outcomes of this chart."""
        chosen: list[Outcome] = []
        if self.tag is not None and self.tag in TAGS:
            chosen = [o for o in tagged(list(registry), self.tag) if not set(o.tags) & set(self.exclude_tags)]
            unit = next((o.unit for o in registry if any(_matches(o.name, f) for f in self.fallback)), None)
            chosen = [o for o in chosen if o.unit == (unit or chosen[0].unit)] if chosen else []
        if not chosen:
            chosen = [o for o in registry if any(_matches(o.name, f) for f in self.fallback)]
        return tuple(chosen)

    def columns(self, df: pd.DataFrame, registry: tuple[Outcome, ...]) -> dict[str, Outcome]:
        """Columns of ``df`` this chart shows, with their outcomes, in order."""
        return {o.name: o for o in self.outcomes(registry) if o.name in df.columns}


def page_registry(model) -> tuple[Outcome, ...]:
    """The model's outcome registry plus the value delivered of each good (the flows chart's series)."""
    extra = tuple(
        Outcome(f"value.{g.id}", None, "sum", "USD", None, f"value of {g.id} delivered at sinks", ("trade",))
        for g in model.world.goods
    )
    return tuple(model.outcomes) + extra


def _matches(name: str, pattern: str) -> bool:
    return name.startswith(pattern) if pattern.endswith(".") else name == pattern


def display_name(outcome: Outcome, chart: ChartSpec) -> str:
    """A series' name in a chart's legend: the outcome's doc, shortened."""
    name = outcome.name
    for prefix in ("armed_group_revenue.", "value.", "delivered."):
        if name.startswith(prefix):
            return name[len(prefix) :].replace("_", " ")
    text = outcome.doc.split(" (")[0].split(":")[0]
    return text if len(text) <= 32 else name.replace("_", " ")


def unit_label(outcomes: tuple[Outcome, ...], mode: str) -> str:
    """The y-axis title: the unit and, for flows, per what."""
    if not outcomes:
        return ""
    o = outcomes[0]
    unit = UNIT_NAMES.get(o.unit, o.unit)
    if o.reduce == "sum":
        unit += " per week" + (", monthly mean" if mode == "monthly" else "")
    better = {"higher": "higher is better", "lower": "lower is better"}.get(o.better or "")
    return f"{unit} ({better})" if better else unit


def field_path(name: str) -> str:
    r"""A series name as a Vega field: its ``.``, ``[``, ``]``, quotes and ``\\`` escaped.

    Vega reads a field name as an access path (``a.b`` is field ``b`` of field ``a``), so a
    legend name such as "officials' mean integrity" must be escaped where it names a field.
    """
    return re.sub(r"([\\.\[\]'\"])", r"\\\1", name)


def _x(domain: tuple[str, str]) -> alt.X:
    """The time axis over the scenario's whole horizon, so it never rescales as weeks run."""
    # Milliseconds since 1970 (UTC): every layer reads them alike (DateTime objects get parsed per layer).
    ends = [dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC).timestamp() * 1000 for d in domain]
    return alt.X(
        "date:T",
        title=None,
        scale=alt.Scale(domain=ends),
        axis=alt.Axis(labelAngle=0, tickCount=6, labelOverlap=True, format="%Y"),
    )


@functools.lru_cache(maxsize=128)
def _template(
    spec: ChartSpec,
    names: tuple[str, ...],
    docs: tuple[str, ...],
    unit: str,
    domain: tuple[str, str],
    baseline: tuple[str, ...],
    width: int,
) -> dict:
    tooltip = [
        alt.Tooltip("date:T", format="%d %b %Y"),
        alt.Tooltip("series:N"),
        alt.Tooltip("value:Q", format=spec.fmt, title=unit or "value"),
    ]
    legend = alt.Legend(orient="bottom", columns=3, title=None, labelFontSize=9, symbolSize=60, labelLimit=150)
    y_axis = alt.Axis(format="~s" if spec.fmt.startswith(",") else spec.fmt, title=unit, titleFontSize=10)
    if spec.kind == "stacked":
        marks = (
            alt.Chart(alt.Data(name=TABLE))
            .transform_fold([field_path(n) for n in names], as_=["series", "value"])
            .mark_area(interpolate="monotone", opacity=0.85)
            .encode(
                x=_x(domain),
                y=alt.Y("value:Q", stack="zero", axis=y_axis, scale=alt.Scale(zero=True)),
                color=alt.Color("series:N", sort=list(names), scale=alt.Scale(scheme="tableau10"), legend=legend),
                tooltip=tooltip,
            )
        )
        if baseline:  # the baseline's total as a dashed line over the policy run's stack
            total = " + ".join(f"datum[{json.dumps(n)}]" for n in baseline)
            marks += (
                alt.Chart(alt.Data(name=TABLE))
                .transform_calculate(value=total, series=json.dumps("total" + BASELINE))
                .mark_line(color="#222222", strokeDash=[4, 3], strokeWidth=1.2)
                .encode(x=_x(domain), y="value:Q", tooltip=tooltip)
            )
    else:
        # A share runs from 0 to 100% (a bribe rate of 44-47% is no crash), and its axis needs no
        # data: the force-protection share is blank, not infinite, before a mission exists.
        y_scale = alt.Scale(domain=[0, 1]) if spec.fmt.endswith("%") else alt.Scale(zero=True)
        dash = alt.StrokeDash(
            "is_baseline:N", scale=alt.Scale(domain=[False, True], range=[[1, 0], [4, 3]]), legend=None
        )
        line = (
            alt.Chart(alt.Data(name=TABLE))
            .transform_fold([field_path(n) for n in names + baseline], as_=["series", "value"])
            .transform_calculate(is_baseline=f"indexof(datum.series, '{BASELINE}') >= 0")
            .transform_calculate(group="replace(datum.series, '" + BASELINE + "', '')")
            .mark_line(strokeWidth=1.4, point=alt.OverlayMarkDef(size=45, opacity=0, filled=True))
            .encode(
                x=_x(domain),
                y=alt.Y("value:Q", axis=y_axis, scale=y_scale),
                color=alt.Color(
                    "group:N",
                    sort=list(names),
                    scale=alt.Scale(scheme="set1"),
                    legend=legend if len(names) > 1 else None,
                ),
                strokeDash=dash,
                detail="series:N",
                tooltip=tooltip,
            )
        )
        marks = line
    windows = (
        alt.Chart(alt.Data(name=WINDOWS))
        .mark_rect(opacity=0.12, color="#7b5ea7")
        .encode(x=alt.X("date:T"), x2="end:T", tooltip=[alt.Tooltip("label:N", title="window")])
    )
    rules = (
        alt.Chart(alt.Data(name=EVENTS))
        .mark_rule(color="#7a7a7a", strokeDash=[2, 2], strokeWidth=0.8)
        .encode(
            x=alt.X("date:T"), tooltip=[alt.Tooltip("label:N", title="event"), alt.Tooltip("date:T", format="%d %b %Y")]
        )
    )
    texts = (
        alt.Chart(alt.Data(name=EVENTS))
        .transform_filter("datum.key")
        .mark_text(angle=270, align="right", baseline="bottom", dx=-2, dy=-1, fontSize=8, color="#555555")
        .encode(x=alt.X("date:T"), y=alt.value(0), text="label:N")
    )
    chart = alt.layer(windows, marks, rules, texts).properties(
        width=width,
        height=HEIGHT,
        title=alt.TitleParams(spec.title, fontSize=12, anchor="start", subtitle=list(docs)[:1], subtitleFontSize=9),
    )
    return chart.to_dict(validate=False)


def chart_template(
    spec: ChartSpec,
    df: pd.DataFrame,
    registry: tuple[Outcome, ...],
    domain: tuple[str, str],
    mode: str = "weekly",
    baseline: bool = False,
    width: int = WIDTH,
) -> dict:
    """The chart's Vega-Lite specification without its weekly data (cached per chart and columns)."""
    columns = spec.columns(df, registry)
    outcomes = tuple(columns.values())
    names = tuple(display_name(o, spec) for o in outcomes)
    base_names = tuple(n + BASELINE for n in names) if baseline else ()
    docs = (outcomes[0].doc,) if len(outcomes) == 1 else ()  # a single series says what it measures
    return _template(spec, names, docs, unit_label(outcomes, mode), domain, base_names, width)


def aggregate(df: pd.DataFrame, columns: dict[str, Outcome], mode: str) -> pd.DataFrame:
    """The weekly table as the chart shows it: weekly, a 4-week mean, or one row per month."""
    if df.empty or mode == "weekly":
        return df
    if mode == "smoothed":
        out = df.copy()
        for c in columns:
            out[c] = df[c].rolling(4, min_periods=1).mean()
        return out
    # Means of the weekly values, also for flows: a month has four or five weeks, and monthly
    # sums would zig-zag by a quarter with the calendar.
    month = pd.to_datetime(df["date"]).dt.to_period("M")
    out = df.groupby(month).agg(dict.fromkeys(columns, "mean"))
    out.insert(0, "date", [p.start_time.date().isoformat() for p in out.index])
    return out.reset_index(drop=True)


def chart_data(
    spec: ChartSpec,
    df: pd.DataFrame,
    registry: tuple[Outcome, ...],
    mode: str = "weekly",
    base_df: pd.DataFrame | None = None,
) -> list[dict]:
    """The chart's weekly data set: one record per week (or month), its series by display name.

    A week where a series means nothing (the force-protection share before any mission) is null.
    """
    columns = spec.columns(df, registry)
    names = {c: display_name(o, spec) for c, o in columns.items()}
    shown = _masked(df, columns)
    table = aggregate(shown, columns, mode)
    records = _records(table, names, "")
    if base_df is not None and not base_df.empty:
        base = aggregate(_masked(base_df, columns), columns, mode)
        for row, extra in zip(records, _records(base, names, BASELINE), strict=False):
            row.update({k: v for k, v in extra.items() if k != "date"})
    return records


def _masked(df: pd.DataFrame, columns: dict[str, Outcome]) -> pd.DataFrame:
    if "mission_force_protection_share" in columns and "mission_present" in df.columns:
        df = df.copy()
        df.loc[~df["mission_present"].astype(bool), "mission_force_protection_share"] = float("nan")
    return df


def _records(table: pd.DataFrame, names: dict[str, str], suffix: str) -> list[dict]:
    if table.empty:
        return []
    keys = ["date", *(n + suffix for n in names.values())]
    values = [table["date"].tolist()]
    for c in names:
        values.append([None if pd.isna(v) else _short(v) for v in table[c].astype(float)])
    return [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]


def _short(value: float) -> float:
    """A value for the browser, kept short: seven significant digits (a float32's precision).

    Significant digits, not decimal places: a fixed six decimals kept millions of dollars to the
    micro-dollar and left a share in [0, 1] only about five digits (an error over 1e-6 relative).
    """
    return float(f"{value:.7g}")


def chart_altair(spec: ChartSpec, df: pd.DataFrame, registry: tuple[Outcome, ...], domain) -> alt.TopLevelMixin:
    """The whole chart, data included, as Altair: for tests and notebooks (validates the spec)."""
    template = chart_template(spec, df, registry, domain)
    data = {TABLE: chart_data(spec, df, registry), EVENTS: [], WINDOWS: []}
    return alt.LayerChart.from_dict({**template, "datasets": data})


CHARTS = (
    ChartSpec("flows", "Flows by good: value delivered", "stacked", None, ("value.",), ",.0f"),
    ChartSpec(
        "revenue",
        "Armed-group revenue by source",
        "stacked",
        None,
        tuple(f"armed_group_revenue.{s}" for s in REVENUE_SOURCES),
        ",.0f",
    ),
    ChartSpec("fatalities", "Fatalities", "lines", "violence", ("fatalities", "civilian_fatalities"), ",.0f"),
    ChartSpec("bribe_rate", "Corruption at Mali's checkpoints", "lines", "corruption", ("bribe_rate",), ".1%"),
    ChartSpec(
        "welfare",
        "Communities (index, 1.0 = start)",
        "lines",
        "livelihood",
        ("community_income_index", "food_security_index", "state_trust_index"),
        ".3f",
    ),
    ChartSpec(
        "force_protection",
        "Mission capacity on force protection",
        "lines",
        None,
        ("mission_force_protection_share",),
        ".1%",
    ),
)
