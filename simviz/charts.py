"""Live charts of the main outcomes (docs/ODD.md section 8), one Vega-Lite chart each.

Each chart is split in two, for speed: a structure built once with Altair over a named data
set ``table`` (:func:`chart_template`, cached), and that data set, rebuilt each week from the
session's weekly table (:func:`chart_data`: one row per week, the chart's columns under their
display names). The browser keeps the chart and only swaps its data
(:class:`simviz.vega.LiveVega`). The table stays wide and Vega-Lite folds it, so a ten-year run
sends 520 rows per chart rather than one row per week and series.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import altair as alt
import pandas as pd

from sim.names import REVENUE_SOURCES

WIDTH, HEIGHT = 380, 150
TABLE = "table"


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the page.

    Attributes:
        key: Its handle (CSS class ``sahel-chart-<key>``, used by the browser test).
        title: Title over the chart.
        kind: ``stacked`` (areas adding up) or ``lines``.
        series: (column of the weekly table, name shown) pairs; a column prefix ending in ``.``
            takes every column that starts with it.
        unit: Axis title.
        fmt: d3 format of the values.
    """

    key: str
    title: str
    kind: str
    series: tuple[tuple[str, str], ...]
    unit: str
    fmt: str

    def columns(self, df: pd.DataFrame) -> dict[str, str]:
        """Columns of ``df`` this chart shows, with their display names, in order."""
        out = {}
        for column, name in self.series:
            if column.endswith("."):
                for c in df.columns:
                    if c.startswith(column):
                        out[c] = c[len(column) :].replace("_", " ")
            elif column in df.columns:
                out[column] = name
        return out


def _x() -> alt.X:
    return alt.X("date:T", title=None, axis=alt.Axis(labelAngle=0, tickCount=5, labelOverlap=True))


@functools.lru_cache(maxsize=64)
def _template(spec: ChartSpec, names: tuple[str, ...]) -> dict:
    base = alt.Chart(alt.Data(name=TABLE)).transform_fold(list(names), as_=["series", "value"])
    tooltip = [
        alt.Tooltip("date:T", format="%d %b %Y"),
        alt.Tooltip("series:N"),
        alt.Tooltip("value:Q", format=spec.fmt),
    ]
    legend = alt.Legend(orient="bottom", columns=4, title=None, labelFontSize=9, symbolSize=60)
    if spec.kind == "stacked":
        chart = base.mark_area(interpolate="step-after", opacity=0.85).encode(
            x=_x(),
            y=alt.Y("value:Q", stack="zero", title=spec.unit, axis=alt.Axis(format="~s")),
            color=alt.Color("series:N", sort=list(names), scale=alt.Scale(scheme="tableau10"), legend=legend),
            tooltip=tooltip,
        )
    else:
        chart = base.mark_line(strokeWidth=1.4).encode(
            x=_x(),
            y=alt.Y("value:Q", title=spec.unit, axis=alt.Axis(format=spec.fmt), scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                sort=list(names),
                scale=alt.Scale(scheme="set1"),
                legend=legend if len(names) > 1 else None,
            ),
            tooltip=tooltip,
        )
    chart = chart.properties(width=WIDTH, height=HEIGHT, title=alt.TitleParams(spec.title, fontSize=12, anchor="start"))
    return chart.to_dict(validate=False)


def chart_template(spec: ChartSpec, df: pd.DataFrame) -> dict:
    """The chart's Vega-Lite specification without its data (cached per chart and columns)."""
    return _template(spec, tuple(spec.columns(df).values()))


def chart_altair(spec: ChartSpec, df: pd.DataFrame) -> alt.Chart:
    """The whole chart, data included, as Altair: for tests and notebooks (validates the spec)."""
    template = chart_template(spec, df)
    return alt.Chart.from_dict({**template, "datasets": chart_data(spec, df)})


def chart_data(spec: ChartSpec, df: pd.DataFrame) -> dict[str, list[dict]]:
    """The chart's data set for this week: one record per week, its series by display name."""
    columns = spec.columns(df)
    keys = ["date", *columns.values()]
    values = [df["date"].tolist(), *(df[c].to_numpy(dtype=float).round(6).tolist() for c in columns)]
    return {TABLE: [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]}


CHARTS = (
    ChartSpec("flows", "Flows by good: value delivered (USD/week)", "stacked", (("value.", ""),), "USD", ",.0f"),
    ChartSpec(
        "revenue",
        "Armed-group revenue by source (USD/week)",
        "stacked",
        tuple((f"armed_group_revenue.{s}", s.replace("_", " ")) for s in REVENUE_SOURCES),
        "USD",
        ",.0f",
    ),
    ChartSpec(
        "fatalities",
        "Fatalities (per week)",
        "lines",
        (("fatalities", "all"), ("civilian_fatalities", "civilians")),
        "deaths",
        ",.0f",
    ),
    ChartSpec(
        "bribe_rate", "Bribe rate at Mali's checkpoints", "lines", (("bribe_rate", "bribe rate"),), "share", ".1%"
    ),
    ChartSpec(
        "welfare",
        "Communities (index, 1.0 = start)",
        "lines",
        (
            ("community_income_index", "income"),
            ("food_security_index", "food security"),
            ("state_trust_index", "trust in the state"),
        ),
        "index",
        ".3f",
    ),
    ChartSpec(
        "force_protection",
        "Mission capacity on force protection",
        "lines",
        (("mission_force_protection_share", "force protection"),),
        "share",
        ".1%",
    ),
)
