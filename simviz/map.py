"""The live map: the route network at its real coordinates, this week's flows and who holds what.

The map is an Altair (Vega-Lite) chart drawn in the browser, so hovering over a place or a route
names it; the server sends its structure once and then only each week's data. Layers, bottom to
top:
country outlines (Natural Earth, :mod:`simviz.borders`) with country names, the borders between
Mali's regions (Natural Earth admin-1, :mod:`simviz.regions`) and their names; links (grey when
nothing moved this week, else as wide as this week's units and coloured by the armed group that
holds their ends); a blue halo as strong as the state's presence; places filled with the colour
of the group holding them; staffed checkpoints (black squares) and mission bases (blue
triangles); names of the main places. The map covers West Africa and the Sahara up to Sabha; the
markets beyond it (Algiers, the Rif, Tripoli, Cairo,
Dubai) are arrows at its edge, labelled.

The map zooms and pans: the projection's scale and offset follow a signal ``view`` (``k`` times
the scale that fits the box, shifted by ``x``, ``y`` pixels) which the wheel
(zoom about the pointer, 1x to 16x), a drag (pan) and a double click (back to the whole map)
change in the browser. The event handlers travel in the specification's ``usermeta``
(:data:`ZOOM_SIGNALS`) and :mod:`simviz.vega` attaches them to the compiled Vega view, since
Vega-Lite itself binds no events to a projection.

:func:`map_parts` is pure (model in, specification and data out), so tests check the map without
a browser (:func:`map_altair` validates it); :class:`simviz.vega.LiveChart` shows it.
"""

from __future__ import annotations

import functools
import itertools
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from simviz.borders import BOX, COUNTRIES
from simviz.regions import REGION_LINES

if TYPE_CHECKING:
    from sim.model import SahelModel
    from sim.world import World

NO_GROUP = "no armed group"
CONTESTED = "contested (two groups)"
# Stable colours by family (kind) and name, the same in every scenario: jihadist groups in reds
# and browns, signatory (rebel) groups in purples, pro-government groups in greens, self-defence
# militias in ochre. Blues stay for the state and the mission.
FAMILY_COLOURS = {
    "JIHADIST": ("#b2182b", "#e34a33", "#fc8d59", "#8c510a", "#67001f", "#d6604d"),
    "SIGNATORY": ("#762a83", "#9970ab", "#c2a5cf", "#e7298a", "#54278f"),
    "PRO_GOVERNMENT": ("#1b7837", "#5aae61", "#a6dba0", "#00441b"),
    "SELF_DEFENCE": ("#bf812d", "#dfc27d", "#8c6d31"),
}
GROUP_COLOURS = {
    "AQIM": "#b2182b",
    "Ansar Eddine": "#e34a33",
    "MUJAO (Al-Mourabitoun)": "#fc8d59",
    "Al-Mourabitoun (MUJAO)": "#fc8d59",
    "Katiba Macina": "#8c510a",
    "ISGS": "#67001f",
    "MNLA": "#762a83",
    "HCUA": "#9970ab",
    "MAA": "#c2a5cf",
    "MAA (CMA)": "#c2a5cf",
    "GATIA": "#1b7837",
    "MAA (Platform)": "#5aae61",
    "Dogon and Bambara self-defence": "#bf812d",
}
# Coalitions a group's name is shown with once it joins them (JNIM: 2017; CMA and Platform: 2015).
NAMED_BLOCS = ("JNIM", "CMA", "Platform")
NO_GROUP_COLOUR = "#b0b0b0"
CONTESTED_COLOUR = "#3d3d3d"
STATE_BLUE = "#1c4f9c"
MISSION_BLUE = "#3f8fe0"
LAND, MALI_LAND, SEA = "#f3efe4", "#fbf6df", "#dbe8f1"
WIDTH, HEIGHT = 760, 560
MARKERS = ("staffed checkpoint", "mission base")
# Open spots (lon, lat) inside Mali's regions of the north and centre, away from the town labels.
REGION_ANCHORS = {
    "Timbuktu": (-4.6, 19.6),
    "Kidal": (2.6, 20.6),
    "Gao": (-0.9, 17.7),
    "Ménaka": (3.6, 16.6),
    "Mopti": (-3.3, 15.3),
}
NAMED_BY_CAPITAL = ("Bamako", "Kayes", "Koulikoro", "Sikasso", "Ségou")
# The Niger, traced through the towns on its banks (their coordinates, to about 0.1 degree), from
# its source in the Guinea highlands through the inner delta and the Niger bend to the sea. A
# sketch for orientation (world-atlas carries no rivers), not a survey: between two towns the
# line is straight.
NIGER_RIVER = (
    (-10.73, 9.08),  # source near Tembakounda
    (-9.88, 10.65),  # Kouroussa
    (-9.17, 11.42),  # Siguiri
    (-8.00, 12.64),  # Bamako
    (-7.56, 12.86),  # Koulikoro
    (-6.27, 13.45),  # Ségou
    (-5.36, 13.96),  # Ké-Macina
    (-4.90, 14.15),  # Diafarabé (inner delta)
    (-4.20, 14.50),  # Mopti
    (-4.05, 15.30),  # Lake Debo
    (-4.00, 15.93),  # Niafunké
    (-3.00, 16.67),  # Kabara (Timbuktu's port)
    (-1.50, 16.80),  # Gourma-Rharous
    (-0.35, 16.95),  # Bourem
    (-0.04, 16.27),  # Gao
    (0.50, 15.66),  # Ansongo
    (1.30, 14.98),  # Ayorou
    (2.11, 13.51),  # Niamey
    (3.45, 11.88),  # Gaya
    (4.38, 10.50),  # Kainji
    (4.83, 9.12),  # Jebba
    (6.74, 7.80),  # Lokoja
    (6.78, 6.15),  # Onitsha
    (6.10, 4.30),  # the delta
)
RIVER_BLUE = "#6fa8dc"
REGION_BORDER = "#b59a6a"

# Zoom and pan. The projection fits the box at view_k = 1: mercator's scale is pixels per radian
# of longitude, and the box's height in radians of mercator's y is fixed by its latitudes.
_Y0, _Y1 = (math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in (BOX[2], BOX[3]))
BOX_RADIANS = (math.radians(BOX[1] - BOX[0]), _Y1 - _Y0)
BOX_CENTRE = ((BOX[0] + BOX[1]) / 2, math.degrees(2 * math.atan(math.exp((_Y0 + _Y1) / 2)) - math.pi / 2))
MAX_ZOOM = 16
_K = f"clamp(view.k * zoom_step, 1, {MAX_ZOOM})"  # the new zoom after one wheel step
_AT = "(anchor[{i}] - ({half} + view.{c}) ) * ({k}) / view.k"  # pointer offset, scaled with the zoom
# Vega event handlers of the view's signals (attached by simviz.vega; Vega-Lite declares the signals).
ZOOM_SIGNALS = {
    "anchor": [{"events": "wheel", "update": "xy()"}],
    "zoom_step": [
        {"events": "wheel!", "force": True, "update": "pow(1.0016, -event.deltaY * pow(16, event.deltaMode))"}
    ],
    "drag_from": [
        {"events": "mousedown", "update": "{px: x(), py: y(), x: view.x, y: view.y}"},
        {"events": "window:mouseup", "update": "null"},
    ],
    "view": [
        {
            "events": {"signal": "zoom_step"},
            "update": (
                f"{{k: {_K}, "
                f"x: anchor[0] - {_AT.format(i=0, half='width / 2', c='x', k=_K)} - width / 2, "
                f"y: anchor[1] - {_AT.format(i=1, half='height / 2', c='y', k=_K)} - height / 2}}"
            ),
        },
        {
            "events": "[mousedown, window:mouseup] > window:mousemove!",
            "update": (
                "drag_from ? {k: view.k, x: drag_from.x + x() - drag_from.px, y: drag_from.y + y() - drag_from.py}"
                " : view"
            ),
        },
        {"events": "dblclick", "update": "{k: 1, x: 0, y: 0}"},
    ],
}


@dataclass
class MapScale:
    """The largest weekly flow on one link seen so far, so widths compare across weeks of a run.

    :meth:`for_model` starts it at the busiest link of the last burn-in week with some room, so
    the scale (and with it the map's specification) seldom changes while the run plays.
    """

    top_units: float = 1.0

    @classmethod
    def for_model(cls, model: SahelModel) -> MapScale:
        """A scale starting from the model's flows before week 1."""
        last = model.stats.last["edge_units"]
        return cls(top_units=1.5 * float(last.max(initial=0.0)) or 1.0)

    def update(self, units: np.ndarray) -> float:
        """Grow to this week's largest flow (never shrink) and return the domain's top."""
        self.top_units = max(self.top_units, float(units.max(initial=0.0)))
        return self.top_units


@dataclass
class WeekState:
    """What the map draws of one week: who holds each place, state presence, flows (a past week's, for the scrubber)."""

    holder: np.ndarray
    presence: np.ndarray
    illicit: np.ndarray
    edge_units: np.ndarray


def week_state(model: SahelModel) -> WeekState:
    """The model's current week as the map draws it."""
    return WeekState(
        model.territory.holder,
        model.territory.presence,
        shown_week(model, "illicit_value"),
        shown_week(model, "edge_units"),
    )


def shown_week(model: SahelModel, key: str) -> np.ndarray:
    """A weekly counter for the map: this week's, or before week 1 the last burn-in week's.

    A new model has run no recorded week; showing the flows it settled into during the burn-in
    gives the first view something to read.
    """
    stats = model.stats
    return stats.week[key] if model.steps > 0 else stats.last[key]


def _inside(lon: float, lat: float) -> bool:
    return BOX[0] <= lon <= BOX[1] and BOX[2] <= lat <= BOX[3]


def _to_edge(p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from ``p`` (inside the box) towards ``q`` (outside) leaves it."""
    t = 1.0
    for d, (lo, hi) in enumerate(((BOX[0], BOX[1]), (BOX[2], BOX[3]))):
        if q[d] > hi:
            t = min(t, (hi - p[d]) / (q[d] - p[d]))
        elif q[d] < lo:
            t = min(t, (lo - p[d]) / (q[d] - p[d]))
    t *= 0.995
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def _ring(text: str) -> list[list[float]]:
    points = [[float(v) for v in pair.split()] for pair in text.split(",")]
    if points[0] != points[-1]:
        points.append(points[0])
    # d3-geo wants exterior rings clockwise (on the sphere): the reverse of GeoJSON's convention.
    if _signed_area(points) > 0:
        points.reverse()
    return points


def _signed_area(points: list[list[float]]) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(points))


@functools.cache
def country_features() -> tuple[dict, ...]:
    """Country outlines as GeoJSON features (computed once)."""
    out = []
    for name, rings in COUNTRIES.items():
        polygons = [[_ring(r)] for r in rings]
        out.append(
            {
                "type": "Feature",
                "properties": {"name": name, "mali": name == "Mali"},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        )
    return tuple(out)


@functools.cache
def region_border_features() -> tuple[dict, ...]:
    """The borders between Mali's regions as GeoJSON line features (computed once)."""
    lines = [[[float(v) for v in pair.split()] for pair in line.split(",")] for line in REGION_LINES]
    return (
        {
            "type": "Feature",
            "properties": {"name": "between Mali's regions (Natural Earth)"},
            "geometry": {"type": "MultiLineString", "coordinates": lines},
        },
    )


@functools.cache
def country_labels() -> pd.DataFrame:
    """One label per country large enough on the map, at the centroid of its largest outline."""
    rows = []
    for name, rings in COUNTRIES.items():
        best = max((_ring(r) for r in rings), key=lambda p: abs(_signed_area(p)))
        area = abs(_signed_area(best))
        if area < 4.0 and name != "Mali":
            continue  # Gambia, Togo, Malta...: too small to carry a name
        cx = cy = 0.0
        for (x0, y0), (x1, y1) in itertools.pairwise(best):
            cross = x0 * y1 - x1 * y0
            cx, cy = cx + (x0 + x1) * cross, cy + (y0 + y1) * cross
        a = _signed_area(best)
        rows.append({"lon": cx / (6 * a), "lat": cy / (6 * a), "label": name.upper(), "mali": name == "Mali"})
    df = pd.DataFrame(rows)
    # Mali's name goes in the empty north, clear of the towns of the Niger bend.
    df.loc[df["mali"], ["lon", "lat"]] = (-2.6, 21.3)
    return df


def region_labels(world: World) -> pd.DataFrame:
    """Names of Mali's regions at open spots of the map.

    Regions named like their capital in the crowded south-west (Kayes, Koulikoro, Sikasso,
    Ségou, Bamako) are read from their capitals' labels; a region missing from
    :data:`REGION_ANCHORS` goes at the mean position of its places.
    """
    rows = []
    region = np.array(world.region)
    for name in sorted({r for r, m in zip(world.region, world.in_mali, strict=True) if m}):
        if name in REGION_ANCHORS:
            lon, lat = REGION_ANCHORS[name]
        elif name in NAMED_BY_CAPITAL:
            continue
        else:
            sel = (region == name) & world.in_mali
            lon, lat = float(world.lon[sel].mean()), float(world.lat[sel].mean())
        rows.append({"lon": lon, "lat": lat, "label": f"{name} region"})
    return pd.DataFrame(rows, columns=["lon", "lat", "label"])


def group_colour(name: str, kind_name: str) -> str:
    """A group's colour: its own if known, else one of its family's, chosen by its name (stable)."""
    base = name.split(" (rebranded)")[0].split(" splinter")[0]
    if base in GROUP_COLOURS and base == name:
        return GROUP_COLOURS[base]
    family = FAMILY_COLOURS.get(kind_name, ("#7f7f7f",))
    return family[zlib.crc32(name.encode()) % len(family)]


def group_label(group, bloc_names: list[str]) -> str:
    """A group's name on the map: with the coalition it fights in, once that has a name (JNIM: AQIM)."""
    bloc = bloc_names[group.bloc] if 0 <= group.bloc < len(bloc_names) else None
    return f"{bloc}: {group.name}" if bloc in NAMED_BLOCS else group.name


def group_names(model: SahelModel) -> list[str]:
    """Each armed group's label, by group index (groups of the same label share it)."""
    groups = model.armed_groups.groups if model.armed_groups is not None else []
    blocs = model.armed_groups.bloc_names if model.armed_groups is not None else []
    return [group_label(g, blocs) for g in groups]


def group_domain(model: SahelModel, state: WeekState | None = None) -> tuple[list[str], list[str]]:
    """Colour scale of the armed groups holding something: (names, colours), stable across scenarios.

    Only groups that hold a place appear (a legend of what is on the map); a rebranded faction
    shares one entry however often it rebrands.
    """
    groups = model.armed_groups.groups if model.armed_groups is not None else []
    labels = group_names(model)
    held = set((state.holder if state is not None else model.territory.holder).tolist())
    names, colours = [], []
    for i, g in enumerate(groups):
        if i not in held or labels[i] in names:
            continue
        names.append(labels[i])
        colours.append(group_colour(g.name, g.kind.name))
    return [*names, NO_GROUP, CONTESTED], [*colours, NO_GROUP_COLOUR, CONTESTED_COLOUR]


def _holder_names(model: SahelModel, holder: np.ndarray) -> list[str]:
    labels = group_names(model)
    return [labels[h] if h >= 0 else NO_GROUP for h in holder.tolist()]


def _bases(model: SahelModel) -> tuple[dict[int, list[str]], set[int]]:
    """Forces with a base at each place, and the mission's bases."""
    by_place: dict[int, list[str]] = {}
    mission: set[int] = set()
    if model.forces is None:
        return by_place, mission
    from sim.agents.force import ForceKind

    for f in model.forces.forces:
        if not f.active:
            continue
        for b in f.bases.tolist():
            by_place.setdefault(b, []).append(f.name)
            if f.kind == ForceKind.MISSION and f.strength > 0:
                mission.add(b)
    return by_place, mission


def place_table(model: SahelModel, names: list[str], state: WeekState | None = None) -> list[dict]:
    """One record per place on the map: position, who holds it, state presence, checkpoint, bases."""
    world = model.world
    static = _place_static(world)
    state = state or week_state(model)
    holders = _holder_names(model, state.holder)
    staffed = np.asarray(model.enforcement.rates.staffed, dtype=bool).tolist()
    presence = np.round(state.presence, 2).tolist()
    illicit = np.round(state.illicit).tolist()
    bases, mission = _bases(model)
    rows = []
    for i, row in static:
        rows.append(
            {
                **row,
                "held_by": holders[i],
                "state_presence": presence[i],
                "checkpoint": "staffed" if staffed[i] else "none",
                "bases": ", ".join(bases.get(i, [])) or "none",
                "mission_base": i in mission,
                "illicit_usd": illicit[i],
            }
        )
    return rows


@functools.cache
def _place_static(world: World) -> tuple[tuple[int, dict], ...]:
    """What never changes about the places on the map: (node, fields) pairs."""
    from sim.world.tables import PLACE_KINDS

    labelled = _labelled_places(world)
    out = []
    for i in range(world.n_places):
        lon, lat = float(world.lon[i]), float(world.lat[i])
        if not _inside(lon, lat):
            continue
        region, country = world.region[i], world.country[i]
        fields = {
            "place": world.names[i],
            "where": region if region == country else f"{region}, {country}",
            "kind": PLACE_KINDS[world.kind[i]].replace("_", " "),
            "lon": lon,
            "lat": lat,
            "in_mali": bool(world.in_mali[i]),
            "label": i in labelled,
        }
        out.append((i, fields))
    return tuple(out)


@functools.cache
def _labelled_places(world: World) -> frozenset[int]:
    """Places that carry their names: Mali's regional capitals and the sources and markets abroad.

    A place closer than 0.7 degrees to one already labelled (Koulikoro beside Bamako) is left to
    its tooltip, so names do not print over each other.
    """
    from sim.world.tables import PLACE_KINDS

    chosen: list[int] = []
    for i in range(world.n_places):
        wanted = (
            world.names[i] == world.region[i]
            if world.in_mali[i]
            else PLACE_KINDS[world.kind[i]] in ("source", "market")
        )
        near = any(abs(world.lon[i] - world.lon[j]) + abs(world.lat[i] - world.lat[j]) < 0.7 for j in chosen)
        if wanted and not near:
            chosen.append(i)
    return frozenset(chosen)


def link_table(
    model: SahelModel, names: list[str], state: WeekState | None = None
) -> tuple[list[dict], list[dict], list[dict]]:
    """Records of (links, far-market labels, arrowheads): this week's units per link and who holds its ends.

    Links to markets beyond the map's box are cut where they leave it, with an arrowhead
    pointing on and one label per market.
    """
    from sim.world.tables import TERRAINS

    world = model.world
    labels = group_names(model)
    state = state or week_state(model)
    units = np.round(state.edge_units).tolist()
    holder = state.holder.tolist()
    rows, far = [], {}
    for e, (u, v) in enumerate(zip(world.edge_u.tolist(), world.edge_v.tolist(), strict=True)):
        p, q = (float(world.lon[u]), float(world.lat[u])), (float(world.lon[v]), float(world.lat[v]))
        if not _inside(*p):
            p, q, u, v = q, p, v, u
        if not _inside(*p):
            continue
        if not _inside(*q):
            edge = _to_edge(p, q)
            # Compass bearing of the link (clockwise from north), for the arrowhead at the edge.
            bearing = math.degrees(math.atan2(q[0] - p[0], q[1] - p[1]))
            far.setdefault(v, []).append((edge, bearing, units[e]))
            q = edge
        hu, hv = holder[u], holder[v]
        held = {h for h in (hu, hv) if h >= 0}
        control = labels[held.pop()] if len(held) == 1 else (CONTESTED if held else NO_GROUP)
        rows.append(
            {
                "link": f"{world.names[u]} – {world.names[v]}",
                "lon": p[0],
                "lat": p[1],
                "lon2": q[0],
                "lat2": q[1],
                "units": units[e],
                "km": round(float(world.edge_km[e])),
                "terrain": TERRAINS[world.edge_terrain[e]],
                "controlled_by": control,
                "air": TERRAINS[world.edge_terrain[e]] == "air",
            }
        )
    arrows, ends = [], []
    for v, items in far.items():
        for (lon, lat), bearing, carried in items:
            arrows.append({"lon": lon, "lat": lat, "angle": bearing, "active": carried > 0})
        lon = float(np.mean([pt[0] for pt, _, _ in items]))
        lat = float(np.mean([pt[1] for pt, _, _ in items]))
        ends.append({**_label_inside(lon, lat), "label": f"to {world.names[v].split(' (')[0]}"})
    return rows, ends, arrows


def _label_inside(lon: float, lat: float) -> dict[str, float]:
    """A far market's label just inside the map from where its links leave it."""
    if lon >= BOX[1] - 0.2:
        return {"lon": lon - 1.8, "lat": lat + 0.7}
    if lat >= BOX[3] - 0.2:
        return {"lon": lon, "lat": lat - 0.8}
    if lon <= BOX[0] + 0.2:
        return {"lon": lon + 1.8, "lat": lat + 0.7}
    return {"lon": lon, "lat": lat + 0.8}


def nice_ceiling(x: float) -> float:
    """The next of 1, 2, 5 times a power of ten at or above ``x``: the width scale moves in few steps."""
    if x <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= x))


def map_layers(names: tuple[str, ...], colours: tuple[str, ...], top: float) -> alt.LayerChart:
    """The map's layers over named data sets (filled by :func:`map_data`), as an Altair chart.

    Args:
        names: Armed groups, then :data:`NO_GROUP` and :data:`CONTESTED` (the colour domain).
        colours: Their colours.
        top: Units of the widest link (the width scale's top).
    """
    group_colour = alt.Scale(domain=list(names), range=list(colours))
    countries = (
        alt.Chart(alt.Data(name="countries"))
        .mark_geoshape(clip=True, stroke="#9b9488", strokeWidth=0.7)
        .encode(
            fill=alt.Fill(
                "properties.mali:N", scale=alt.Scale(domain=[False, True], range=[LAND, MALI_LAND]), legend=None
            ),
            tooltip=alt.Tooltip("properties.name:N", title="country"),
        )
    )
    country_text = (
        alt.Chart(alt.Data(name="country_labels"))
        .mark_text(clip=True, fontStyle="italic", color="#8a8172", fontWeight="bold")
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            text="label:N",
            size=alt.Size("mali:O", scale=alt.Scale(domain=[False, True], range=[10, 17]), legend=None),
        )
    )
    river = (
        alt.Chart(alt.Data(name="river"))
        .mark_line(clip=True, color=RIVER_BLUE, strokeWidth=2.2, opacity=0.9)
        .encode(longitude="lon:Q", latitude="lat:Q", order="order:Q", tooltip=alt.Tooltip("name:N", title="river"))
    )
    region_borders = (
        alt.Chart(alt.Data(name="region_borders"))
        .mark_geoshape(clip=True, filled=False, stroke=REGION_BORDER, strokeWidth=0.9, strokeDash=[4, 2])
        .encode(tooltip=alt.Tooltip("properties.name:N", title="border"))
    )
    region_text = (
        alt.Chart(alt.Data(name="regions"))
        .mark_text(clip=True, fontStyle="italic", color="#8c6d3f", fontSize=10, opacity=0.9)
        .encode(longitude="lon:Q", latitude="lat:Q", text="label:N")
    )
    link_tooltip = [
        alt.Tooltip("link:N", title="route"),
        alt.Tooltip("units:Q", title="units this week", format=","),
        alt.Tooltip("controlled_by:N", title="held by"),
        alt.Tooltip("km:Q", title="km"),
        alt.Tooltip("terrain:N"),
    ]
    position = {"longitude": "lon:Q", "latitude": "lat:Q"}
    idle = (
        alt.Chart(alt.Data(name="links"))
        .transform_filter("datum.units <= 0")
        .mark_rule(clip=True, color="#c4c0b6", strokeWidth=0.8, strokeDash=[3, 2])
        .encode(**position, longitude2="lon2:Q", latitude2="lat2:Q", tooltip=link_tooltip)
    )
    flows = (
        alt.Chart(alt.Data(name="links"))
        .transform_filter("datum.units > 0")
        .mark_rule(clip=True, strokeCap="round", opacity=0.85)
        .encode(
            **position,
            longitude2="lon2:Q",
            latitude2="lat2:Q",
            strokeWidth=alt.StrokeWidth(
                "units:Q",
                scale=alt.Scale(type="sqrt", domain=[0, top], range=[0.8, 11], clamp=True),
                legend=alt.Legend(title="units carried this week", format="~s", values=_width_ticks(top)),
            ),
            color=alt.Color("controlled_by:N", scale=group_colour, legend=None),
            strokeDash=alt.StrokeDash(
                "air:N", scale=alt.Scale(domain=[False, True], range=[[1, 0], [5, 3]]), legend=None
            ),
            tooltip=link_tooltip,
        )
    )
    halo = (
        alt.Chart(alt.Data(name="places"))
        .transform_filter("datum.in_mali")
        .mark_circle(clip=True, size=300, color=STATE_BLUE)
        .encode(
            **position,
            opacity=alt.Opacity(
                "state_presence:Q",
                scale=alt.Scale(domain=[0, 1], range=[0, 0.35]),
                legend=alt.Legend(title="state presence (halo)", values=[0.2, 0.5, 1.0], format=".0%"),
            ),
        )
    )
    place_tooltip = [
        alt.Tooltip("place:N"),
        alt.Tooltip("where:N", title="region"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("held_by:N", title="held by"),
        alt.Tooltip("state_presence:Q", title="state presence", format=".0%"),
        alt.Tooltip("checkpoint:N"),
        alt.Tooltip("bases:N", title="bases of"),
        alt.Tooltip("illicit_usd:Q", title="illicit value through (USD/week)", format=",.0f"),
    ]
    dots = (
        alt.Chart(alt.Data(name="places"))
        .mark_circle(clip=True, size=70, stroke="#222222", strokeWidth=0.8, opacity=1)
        .encode(
            **position,
            fill=alt.Fill("held_by:N", scale=group_colour, legend=alt.Legend(title="held by (places, routes)")),
            tooltip=place_tooltip,
        )
    )
    marks = (
        alt.Chart(alt.Data(name="markers"))
        .mark_point(clip=True, filled=True, strokeWidth=0.6)
        .encode(
            **position,
            shape=alt.Shape(
                "marker:N",
                scale=alt.Scale(domain=list(MARKERS), range=["square", "triangle-up"]),
                legend=alt.Legend(title="markers"),
            ),
            fill=alt.Fill(
                "marker:N", scale=alt.Scale(domain=list(MARKERS), range=["#111111", MISSION_BLUE]), legend=None
            ),
            size=alt.Size("marker:O", scale=alt.Scale(domain=list(MARKERS), range=[26, 90]), legend=None),
            stroke=alt.value("#0b3d75"),
            tooltip=place_tooltip,
        )
    )
    names_text = (
        alt.Chart(alt.Data(name="places"))
        .transform_filter("datum.label")
        .mark_text(clip=True, align="left", dx=7, dy=5, fontSize=10, color="#1a1a1a")
        .encode(**position, text="place:N")
    )
    far_text = (
        alt.Chart(alt.Data(name="far_ends"))
        .mark_text(clip=True, align="center", fontSize=10, fontWeight="bold", color="#333333")
        .encode(**position, text="label:N")
    )
    far_arrows = (
        alt.Chart(alt.Data(name="far_arrows"))
        .mark_point(clip=True, shape="triangle-up", filled=True, size=60)
        .encode(
            **position,
            angle=alt.Angle("angle:Q", scale=None),
            color=alt.Color(
                "active:N", scale=alt.Scale(domain=[False, True], range=["#b5b0a5", "#333333"]), legend=None
            ),
        )
    )
    chart = alt.layer(
        countries,
        region_borders,
        river,
        country_text,
        region_text,
        idle,
        flows,
        halo,
        dots,
        marks,
        names_text,
        far_text,
        far_arrows,
    ).resolve_scale(color="independent", fill="independent", size="independent", opacity="independent")
    fit = f"min(width / {BOX_RADIANS[0]:.6f}, height / {BOX_RADIANS[1]:.6f})"
    params = [
        alt.param(name="view", value={"k": 1, "x": 0, "y": 0}),
        alt.param(name="anchor", value=[0, 0]),
        alt.param(name="zoom_step", value=1),
        alt.param(name="drag_from", value=None),
    ]
    return (
        chart.add_params(*params)
        .project(
            type="mercator",
            center=[round(BOX_CENTRE[0], 4), round(BOX_CENTRE[1], 4)],
            scale=alt.ExprRef(f"{fit} * view.k"),
            translate=alt.ExprRef("[width / 2 + view.x, height / 2 + view.y]"),
        )
        .properties(width=WIDTH, height=HEIGHT, usermeta={"signalsOn": ZOOM_SIGNALS})
        .configure_view(fill=SEA, stroke="#888888")
        .configure_legend(orient="right", labelFontSize=10, titleFontSize=11, symbolSize=80, labelLimit=190)
    )


def _width_ticks(top: float) -> list[float]:
    return [top / 10, top / 2, top] if top > 10 else [top]


STATIC = (
    "countries",
    "country_labels",
    "regions",
    "region_borders",
    "river",
)  # data sets that never change within a run


@functools.lru_cache(maxsize=32)
def _template(names: tuple[str, ...], colours: tuple[str, ...], top: float, world: World) -> dict:
    spec = map_layers(names, colours, top).to_dict(validate=False)
    spec["datasets"] = {
        "countries": list(country_features()),
        "country_labels": country_labels().to_dict("records"),
        "regions": region_labels(world).to_dict("records"),
        "river": [{"lon": x, "lat": y, "order": i, "name": "Niger"} for i, (x, y) in enumerate(NIGER_RIVER)],
        "region_borders": list(region_border_features()),
    }
    return spec


def map_data(model: SahelModel, names: list[str], state: WeekState | None = None) -> dict[str, list[dict]]:
    """The data sets of :func:`map_layers` that change from week to week (of ``state``: a past week)."""
    places = place_table(model, names, state)
    links, ends, arrows = link_table(model, names, state)
    # Markers sit beside their place (offsets in degrees, so every Vega-Lite version agrees):
    # checkpoints below right, mission bases above.
    markers = [
        {**p, "lon": p["lon"] + 0.32, "lat": p["lat"] - 0.3, "marker": MARKERS[0]}
        for p in places
        if p["checkpoint"] == "staffed"
    ]
    markers += [{**p, "lat": p["lat"] + 0.42, "marker": MARKERS[1]} for p in places if p["mission_base"]]
    return {"links": links, "places": places, "markers": markers, "far_ends": ends, "far_arrows": arrows}


def map_parts(
    model: SahelModel, scale: MapScale | None = None, state: WeekState | None = None
) -> tuple[dict, dict[str, list[dict]]]:
    """The map of the model's current week: (specification without its weekly data, weekly data).

    The specification is built by Altair once per colour domain and width scale (cached) and
    holds the outlines and labels; each week only the data sets of links, places and markers
    change, which the browser swaps into the chart it already shows.

    Args:
        model: The model, after any number of weeks.
        scale: Keeps the width scale of links fixed across the weeks of a run (one per model).
        state: A past week to draw (the week scrubber's); by default the model's current week.
    """
    state = state or week_state(model)
    names, colours = group_domain(model, state)
    top = nice_ceiling((scale or MapScale()).update(state.edge_units))
    return _template(tuple(names), tuple(colours), top, model.world), map_data(model, names, state)


def map_altair(model: SahelModel, scale: MapScale | None = None) -> alt.TopLevelMixin:
    """The whole map, data included, as Altair: for tests and notebooks (validates the spec)."""
    template, data = map_parts(model, scale)
    return alt.LayerChart.from_dict({**template, "datasets": {**template["datasets"], **data}})


def map_title(model: SahelModel) -> str:
    """What the map shows, and when."""
    week = model.steps
    if not week:
        return f"Week 0 ({model.date:%d %b %Y}): flows of the last burn-in week, who holds places and routes"
    return f"Week {week} ({model.date:%d %b %Y}): this week's flows, who holds places and routes, state presence"
