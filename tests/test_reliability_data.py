"""Bad world tables, packaged or a user's ``scenario.data_dir``: one line naming the file and row.

Each check of ``sim/world/tables.py`` is exercised by an edit of a copy of the packaged tables
and the exact file and row are asserted; a hypothesis test corrupts random rows of the CSV
tables in random ways and asserts the error names that row; and a few bad directories go through
the command line, which must exit with code 2 and one line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from conftest import cli
from sim.errors import DataError
from sim.world import DATA_DIR, build_routes, build_world, load_tables

TABLES = ("places.csv", "routes.csv", "goods.yaml")


def copy_tables(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for f in TABLES:
        shutil.copy(DATA_DIR / f, root / f)
    return root


@pytest.fixture
def data(tmp_path):
    return copy_tables(tmp_path / "data")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line containing ``text``."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return i
    raise AssertionError(text)


def load_error(root: Path) -> str:
    with pytest.raises(DataError) as err:
        load_tables(root)
    message = str(err.value)
    assert "\n" not in message, message
    return message


# (file, old text, new text, expected message after "<file>, row <n>: ", text on the expected row
# before the edit, or None for a problem of the whole file).
CASES = [
    # places.csv
    ("places.csv", "koulikoro,Koulikoro,12.863,-7.560,town,Koulikoro,Mali,FACTS D", "koulikoro,Koulikoro,12.863",
     "3 fields where the header has 8", "koulikoro,Koulikoro"),
    ("places.csv", "nioro,Nioro du Sahel,", "nioro,Nioro, du Sahel,",
     "9 fields where the header has 8 (a comma inside a value needs quotes)", "nioro,"),
    ("places.csv", "nioro,Nioro du Sahel", '"nioro,Nioro du Sahel', "malformed CSV", "nioro,"),
    ("places.csv", "id,name,lat,lon", "id,name,lat,lat", "duplicate column(s) lat", "id,name"),
    ("places.csv", "id,name,lat,lon", "id,name,latitude,lon", "missing column(s) lat", "id,name"),
    ("places.csv", "-7.560,town,Koulikoro,Mali", "-7.560,town,,Mali", "empty region of 'koulikoro'",
     "koulikoro,Koulikoro"),
    ("places.csv", "koulikoro,Koulikoro,", "koulikoro, ,", "empty name of 'koulikoro'", "koulikoro,"),
    ("places.csv", "koulikoro,Koulikoro,", ",Koulikoro,", "empty id", "koulikoro,"),
    ("places.csv", "12.863,-7.560", "12.863,-97.560", "coordinates (12.863, -97.56) of 'koulikoro' are off the map",
     "12.863,-7.560"),
    ("places.csv", "12.863,-7.560", "nan,-7.560", "lat 'nan' is not a finite number", "12.863,-7.560"),
    ("places.csv", "12.863,-7.560", "12°52',-7.560", "lat \"12°52'\" is not a number", "12.863,-7.560"),
    # routes.csv
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayes,500,paved,0", "travel time 0.0 weeks of bamako-kayes",
     "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayes,500,paved,-1", "travel time -1.0 weeks",
     "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayes,0,paved,0.33", "length 0.0 km of bamako-kayes",
     "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayes,50,paved,0.33",
     "length 50.0 km of bamako-kayes is shorter than the straight line between them (", "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayes,500,paved,inf", "weeks 'inf' is not a finite number",
     "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayes,500,tarmac,0.33", "terrain 'tarmac' of bamako-kayes",
     "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,bamako,500,paved,0.33", "route from 'bamako' to itself",
     "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "kayes,bamako,500,paved,0.33,x\nbamako,kayes,500,paved,0.33",
     "duplicate route bamako-kayes (first on row", "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayess,500,paved,0.33", "unknown place 'kayess'",
     "bamako,kayes"),
    ("routes.csv", "bamako,kayes,500,paved,0.33", "\n\nbamako,kayes,-5,paved,0.33", "length -5.0 km",
     "bamako,kayes"),  # blank lines count: the row is the line an editor shows
    # goods.yaml (the row is the line of the good or of its field)
    ("goods.yaml", "\ncannabis_resin:", "\ncocaine:", "duplicate good 'cocaine' (first on row", "cannabis_resin:"),
    ("goods.yaml", "sources: {rif: 1.0}", "sources: {rif: lots}", "cannabis_resin: source shares must be numbers",
     "sources: {rif: 1.0}"),
    ("goods.yaml", "sources: {rif: 1.0}", "sources: {rif: 0.5}", "source shares must be positive and sum to 1",
     "sources: {rif: 1.0}"),
    ("goods.yaml", "sources: {rif: 1.0}", "sources: {}", "cannabis_resin has no source", "sources: {rif: 1.0}"),
    ("goods.yaml", "sinks: [dubai]", "sinks: []", "gold has no sink", "sinks: [dubai]"),
    ("goods.yaml", "sinks: [cairo, tripoli]", "sinks: [cairo, narnia]", "unknown place 'narnia'",
     "sinks: [cairo, tripoli]"),
    ("goods.yaml", "sinks: [cairo, tripoli]", "sinks: [cairo, {a: 1}]", "unknown place {'a': 1}",
     "sinks: [cairo, tripoli]"),
    ("goods.yaml", "sinks: [cairo, tripoli]", "sinks: [cairo, rif]", "rif is both a source and a sink",
     "sinks: [cairo, tripoli]"),
    ("goods.yaml", "sinks: [cairo, tripoli]", "sinks: [cairo, cairo]", "a sink is listed twice",
     "sinks: [cairo, tripoli]"),
    ("goods.yaml", "assumption: [10000, 25000]", "assumption: [low, high]", "assumption ['low', 'high'] must be",
     "assumption: [10000, 25000]"),
    ("goods.yaml", "bulk_t: {value: 0.001, source: \"unit definition (1 kg)\"}\n  crew_capacity: {value: 100,",
     "bulk_t: {value: 0, source: \"unit definition (1 kg)\"}\n  crew_capacity: {value: 100,",
     "cocaine.bulk_t must be positive", "bulk_t: {value: 0.001"),
    ("goods.yaml", "value_source_usd: {value: 15000,", "value_source_usd: {value: -1,",
     "cocaine.value_source_usd value -1 must be a non-negative number", "value_source_usd: {value: 15000,"),
    ("goods.yaml", "sink_usd: {value: 35000, assumption: [25000,", "sink_usd: {value: 15000, assumption: [9000,",
     "cocaine: value at sinks must exceed value at sources", "value_sink_usd: {value: 35000,"),
    ("goods.yaml", "livelihood: false", "livelihood: 'no'", "cocaine.livelihood must be true or false",
     "livelihood: false"),
    ("goods.yaml", "unit: kg", "unit:", "cocaine.unit must be a name", "unit: kg"),
    ("goods.yaml", "sources: {rif: 1.0}", "sources: {rif: 1.0", "not valid YAML", None),
]  # fmt: skip


@pytest.mark.parametrize(("file", "old", "new", "message", "row_text"), CASES, ids=[c[3][:40] for c in CASES])
def test_bad_table_names_file_and_row(data, file, old, new, message, row_text):
    path = data / file
    row = line_of(path, row_text) if row_text else None
    if old == "\ncannabis_resin:":  # the duplicate is on the edited line
        row = line_of(path, "cannabis_resin:")
    if "\n\n" in new:  # two blank lines inserted before the row
        row += 2
    if "duplicate route" in message:
        row += 1
    edit(path, old, new)
    got = load_error(data)
    where = f"{path}, row {row}: " if row else f"{path}"
    assert got.startswith(where), (got, where)
    assert message in got, got


def test_not_utf8_names_the_row(data):
    path = data / "places.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode("latin-1", "replace"))  # Ségou is on some row: é becomes 0xe9
    row = next(i for i, line in enumerate(text.splitlines(), start=1) if "é" in line)
    assert load_error(data).startswith(f"{path}, row {row}: not UTF-8 text (byte 0xe9)")


def test_a_spreadsheet_byte_order_mark_is_accepted(data):
    path = data / "places.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_tables(data).places) == len(load_tables(DATA_DIR).places)


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("places.csv", b"", "empty file; expected a header with id, name, lat, lon, kind, region, country"),
        ("routes.csv", b"", "empty file; expected a header with a, b, km, terrain, weeks"),
        ("goods.yaml", b"", "expected a mapping of goods"),
        ("goods.yaml", b"- cocaine\n- gold\n", "expected a mapping of goods"),
        ("places.csv", None, "file not found"),
        ("goods.yaml", None, "file not found"),
    ],
)
def test_empty_or_missing_file(data, file, content, message):
    path = data / file
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)
    assert load_error(data) == f"{path}: {message}"


def test_a_disconnected_source_names_the_good_and_the_routes_file(data):
    edit(data / "routes.csv", "zouerat,rif,2900,paved", "zouerat,bamako,2900,paved")
    world = build_world(load_tables(data))
    with pytest.raises(DataError, match=r"routes\.csv: source 'rif' of cannabis_resin is not connected"):
        build_routes(world, tuple(range(len(world.goods))), 6)


# --- random corruption of a row ------------------------------------------------------------------

PLACE_TEXT = ("id", "name", "kind", "region", "country")
ROUTE_TEXT = ("a", "b", "terrain")


def _corrupt(draw, header: list[str], fields: list[str], file: str) -> tuple[list[str] | None, str]:
    """A broken version of one row (None: the row is duplicated) and what was done."""
    numeric = ("lat", "lon") if file == "places.csv" else ("km", "weeks")
    text = PLACE_TEXT if file == "places.csv" else ROUTE_TEXT
    how = draw(st.sampled_from(["drop", "comma", "not_a_number", "limit", "blank", "unknown_end", "duplicate"]))
    out = list(fields)
    if how == "drop":
        del out[draw(st.integers(0, len(out) - 1))]
    elif how == "comma":
        col = header.index(draw(st.sampled_from(["name", "region"] if file == "places.csv" else ["terrain"])))
        out[col] = out[col][:1] + "," + draw(st.from_regex(r"[a-z]{1,5}", fullmatch=True))
    elif how == "not_a_number":
        col = header.index(draw(st.sampled_from(numeric)))
        out[col] = draw(st.sampled_from(["abc", "1,5", "", "nan", "-inf", "1e999", "12..3"]))
        if "," in out[col]:
            out[col] = f'"{out[col]}"'
    elif how == "limit":
        col = draw(st.sampled_from(numeric))
        bad = {"lat": ["95", "-1", "40.5"], "lon": ["-25", "61"], "km": ["0", "-3"], "weeks": ["0", "-0.1"]}[col]
        out[header.index(col)] = draw(st.sampled_from(bad))
    elif how == "blank":
        out[header.index(draw(st.sampled_from(text)))] = draw(st.sampled_from(["", "  "]))
    elif how == "unknown_end" and file == "routes.csv":
        out[header.index(draw(st.sampled_from(["a", "b"])))] = "atlantis"
    else:
        return None, "duplicate"
    return out, how


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_corruption_of_a_row_is_reported_at_that_row(tmp_path, data):
    root = copy_tables(tmp_path / f"d{data.draw(st.integers(0, 10**9))}")
    file = data.draw(st.sampled_from(["places.csv", "routes.csv"]))
    path = root / file
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    i = data.draw(st.integers(1, len(lines) - 1))  # 0-based index of a data line
    fields, how = _corrupt(data.draw, header, lines[i].split(","), file)
    if fields is None:
        lines.insert(i + 1, lines[i])
        row = i + 2  # the copy is the duplicate
    else:
        lines[i] = ",".join(fields)
        row = i + 1
    note(f"{file} row {row} ({how}): {lines[row - 1]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_tables(root)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}, row {row}: "), message


# --- through the command line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("routes.csv", "bamako,kayes,500,paved,0.33", "bamako,kayes,500,paved,0", "routes.csv, row"),
        ("routes.csv", "zouerat,rif,2900,paved", "zouerat,bamako,2900,paved", "routes.csv: source 'rif'"),
    ],
)
def test_bad_data_dir_on_the_command_line_exits_2_with_one_line(tmp_path, file, old, new, message):
    root = copy_tables(tmp_path / "data")
    edit(root / file, old, new)
    out = tmp_path / "run"
    proc = cli("scenario=small", "steps=2", f"scenario.data_dir={root}", f"hydra.run.dir={out}", timeout=60)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {root / file}"), proc.stderr[-2000:]
    assert message in lines[0]
    assert not (out / "summary.json").exists()


def test_missing_data_dir_on_the_command_line_exits_2(tmp_path):
    proc = cli("scenario=small", f"scenario.data_dir={tmp_path / 'nowhere'}", f"hydra.run.dir={tmp_path}", timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {tmp_path / 'nowhere'}: data directory not found"
