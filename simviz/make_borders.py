"""Regenerate :mod:`simviz.borders`: country outlines of the map, from Natural Earth.

The browser map needs country borders to read as the Sahel, and the app must work offline, so
the outlines are shipped in the package as a small Python module rather than fetched at run
time. They come from Natural Earth's 1:50m countries (public domain) as packaged by the npm
package ``world-atlas`` (TopoJSON), fetched with ``npm pack`` from the registry, decoded, clipped
to the map's box, simplified (Douglas-Peucker) and rounded to 0.01 degree: about 1 km, far
below what the map can show.

Run ``python -m simviz.make_borders`` only to change the box or the source; the output is
committed.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path

from simviz.assets import npm_pack

SOURCE = "world-atlas@2.0.2"
FILE = "countries-50m.json"
# (lon0, lon1, lat0, lat1): West Africa and the Sahara up to Sabha; the North African and Gulf
# markets (Algiers, the Rif, Tripoli, Cairo, Dubai) lie beyond its edges.
BOX = (-18.6, 16.6, 4.2, 28.4)
TOLERANCE = 0.04  # degrees, for Douglas-Peucker
OUT = Path(__file__).with_name("borders.py")


def decode(topo: dict, obj: str = "countries") -> dict[str, list[list[tuple[float, float]]]]:
    """Rings (lists of lon/lat points) of each country of a quantized TopoJSON object."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indices: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for i in indices:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(points if not out else points[1:])
        return out

    countries: dict[str, list] = {}
    for geom in topo["objects"][obj]["geometries"]:
        polygons = {"Polygon": [geom.get("arcs", [])], "MultiPolygon": geom.get("arcs", [])}.get(geom["type"], [])
        name = geom.get("properties", {}).get("name", "")
        countries.setdefault(name, []).extend(ring(r) for poly in polygons for r in poly)
    return countries


def clip(points: list[tuple[float, float]], box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a closed ring inside the box."""
    x0, x1, y0, y1 = box
    edges = [
        (lambda p: p[0] >= x0, lambda p, q: _cut(p, q, 0, x0)),
        (lambda p: p[0] <= x1, lambda p, q: _cut(p, q, 0, x1)),
        (lambda p: p[1] >= y0, lambda p, q: _cut(p, q, 1, y0)),
        (lambda p: p[1] <= y1, lambda p, q: _cut(p, q, 1, y1)),
    ]
    out = list(points)
    for inside, cut in edges:
        if not out:
            break
        src, out = out, []
        for i, q in enumerate(src):
            p = src[i - 1]
            if inside(q):
                if not inside(p):
                    out.append(cut(p, q))
                out.append(q)
            elif inside(p):
                out.append(cut(p, q))
    return out


def _cut(p: tuple[float, float], q: tuple[float, float], axis: int, value: float) -> tuple[float, float]:
    t = (value - p[axis]) / (q[axis] - p[axis])
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def simplify(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas-Peucker simplification of a polyline (iterative)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = points[a], points[b]
        dx, dy = bx - ax, by - ay
        norm = (dx * dx + dy * dy) ** 0.5
        best, far = -1.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            d = abs(dy * (px - ax) - dx * (py - ay)) / norm if norm else ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            if d > best:
                best, far = d, i
        if best > tol:
            keep[far] = True
            stack += [(a, far), (far, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def encode(ring: list[tuple[float, float]]) -> str:
    """``lon lat,lon lat,...`` with two decimals."""
    return ",".join(f"{x:.2f} {y:.2f}" for x, y in ring)


def build(topo: dict) -> dict[str, list[str]]:
    """Encoded rings per country, clipped and simplified; countries outside the box left out."""
    out = {}
    for name, rings in sorted(decode(topo).items()):
        kept = []
        for r in rings:
            c = simplify(clip(r, BOX), TOLERANCE)
            if len(c) >= 4:
                kept.append(encode(c))
        if kept:
            out[name] = kept
    return out


def quoted(points: str, indent: str) -> list[str]:
    """A ``lon lat,...`` string as source lines: one literal, or a parenthesised run of literals under 96 characters."""
    chunks, current = [], ""
    for point in points.split(","):
        piece = point if not current else "," + point
        if len(current) + len(piece) > 96:
            chunks.append(current)
            current, piece = "", "," + point
        current += piece
    chunks.append(current)
    if len(chunks) == 1:
        return [f'{indent}"{chunks[0]}",']
    return [f"{indent}(", *[f'{indent}    "{c}"' for c in chunks], f"{indent}),"]


def write(countries: dict[str, list[str]]) -> None:
    """Write :mod:`simviz.borders`, lines short enough for the linter."""
    lines = [
        f'"""Country outlines for the map: Natural Earth 1:50m (public domain), via npm {SOURCE}.',
        "",
        "Generated by ``python -m simviz.make_borders``: clipped to :data:`BOX`, simplified, rounded to",
        "0.01 degree. Each ring is ``lon lat,lon lat,...``. Do not edit by hand.",
        '"""',
        "",
        f"BOX = {BOX!r}",
        "",
        "COUNTRIES: dict[str, list[str]] = {",
    ]
    for name, rings in countries.items():
        lines.append(f"    {json.dumps(name, ensure_ascii=False)}: [")
        for ring in rings:
            lines += quoted(ring, "        ")
        lines.append("    ],")
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Fetch the source, build the outlines, write the module."""
    with tempfile.TemporaryDirectory() as tmp:
        info = npm_pack([SOURCE], Path(tmp))[0]
        with tarfile.open(Path(tmp) / info["filename"], "r:gz") as tar:
            member = tar.extractfile(f"package/{FILE}")
            assert member is not None
            topo = json.load(member)
    countries = build(topo)
    write(countries)
    points = sum(r.count(",") + 1 for rings in countries.values() for r in rings)
    print(f"wrote {OUT}: {len(countries)} countries, {points} points")


if __name__ == "__main__":
    main()
