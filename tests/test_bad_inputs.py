"""Bad user input that used to end in a traceback (issue 21): one line naming the file and row, or the key."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import ROOT
from sim.checks import load_actors
from sim.errors import ConfigError, DataError
from sim.params import RunConfig, from_dict
from sim.sweep import ERROR, record_failure
from simcli.app import preflight

DATA = ROOT / "sim" / "world" / "data"


@pytest.fixture
def data_dir(tmp_path):
    out = tmp_path / "data"
    shutil.copytree(DATA, out)
    load_actors.cache_clear()
    yield out
    load_actors.cache_clear()


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


ACTOR_CASES = {
    "empty": (lambda p: p.write_text(""), r"actors.yaml: empty file"),
    "bad YAML": (lambda p: p.write_text("armed_groups: [ {id: x\n"), r"actors.yaml, row 2: not valid YAML"),
    "a list": (lambda p: p.write_text("- a\n- b\n"), r"actors.yaml, row 1: expected a mapping"),
    "unknown place": (
        lambda p: edit(p, "holds: [tessalit, ifoghas_gold]", "holds: [tessalit, atlantis]"),
        r"actors.yaml, row 12: hcua: unknown place id 'atlantis' in holds",
    ),
    "negative fighters": (
        lambda p: edit(p, "fighters: 700", "fighters: -700"),
        r"actors.yaml, row 12: hcua: fighters=-700 out of range",
    ),
    "text fighters": (
        lambda p: edit(p, "fighters: 700", "fighters: many"),
        r"row 12: hcua: fighters='many' is not a finite number",
    ),
    "unknown region": (
        lambda p: edit(p, "Kidal: 70000", "Kidall: 70000"),
        r"population of unknown region 'Kidall'",
    ),
    "unknown kind": (
        lambda p: edit(p, "kind: signatory", "kind: rebels"),
        r"row 10: armed group 'mnla': unknown kind 'rebels'",
    ),
    "missing section": (lambda p: edit(p, "forces:", "farces:"), r"missing section forces"),
    "missing file": (lambda p: p.unlink(), r"scenario.actors_file='actors.yaml': not found"),
}


@pytest.mark.parametrize("case", list(ACTOR_CASES))
def test_a_bad_actors_file_names_the_file_and_row(data_dir, case):
    damage, expected = ACTOR_CASES[case]
    damage(data_dir / "actors.yaml")
    with pytest.raises((DataError, ConfigError), match=expected):
        load_actors(str(data_dir))  # what the pre-flight calls (the command line: tests/test_targets.py)


def test_the_actors_file_is_a_name_in_the_data_directory():
    with pytest.raises(ConfigError, match=r"scenario.actors_file='/etc/passwd': not a file name"):
        preflight(["scenario.actors_file=/etc/passwd"])


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["scenario.stock_cap_weeks=1e17"], "scenario.stock_cap_weeks"),
        (["scenario.traffickers.initial_crews_scale=1e6"], "scenario.traffickers.initial_crews_scale"),
    ],
)
def test_values_that_overflow_or_exhaust_memory_are_out_of_range(overrides, key):
    with pytest.raises(ConfigError, match=rf"{key}=.*out of range"):
        preflight(["scenario=small", *overrides])


def test_an_existing_file_as_output_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    for args in (["hydra.run.dir=" + str(tmp_path / "file")], ["-m", "hydra.sweep.dir=" + str(tmp_path / "file/x")]):
        with pytest.raises(ConfigError, match="is a file"):
            preflight(["scenario=small", *args])


def _tmpfs(path, size: str, ro: bool = False) -> bool:
    path.mkdir()
    opts = f"size={size}" + (",ro" if ro else "")
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small or read-only file system needs root")
def test_read_only_and_full_disks(tmp_path, capsys):
    ro, full = tmp_path / "ro", tmp_path / "full"
    if not (_tmpfs(ro, "1m", ro=True) and _tmpfs(full, "64k")):
        pytest.skip("cannot mount tmpfs here")
    try:
        with pytest.raises(ConfigError, match="is not writable"):
            preflight(["scenario=small", f"hydra.run.dir={ro}/out"])
        with pytest.raises(ConfigError, match="the disk is full"):
            preflight(["-m", "scenario=small", f"hydra.sweep.dir={full}/out"])
        (full / "filler").write_bytes(b"\0" * 60_000)  # nearly nothing left: the record of a failure does not fit
        record_failure(full, from_dict(RunConfig, {}), "Traceback ...\nOSError: [Errno 28] No space left\n" * 400)
        assert not (full / ERROR).exists()  # no empty error.txt hiding the reason
        assert "No space left on device" in capsys.readouterr().err
    finally:
        subprocess.run(["umount", str(ro)], check=False)
        subprocess.run(["umount", str(full)], check=False)


def _world_error(data_dir):
    from sim.world import load_world

    with pytest.raises(DataError) as exc:
        load_world(str(data_dir))
    return str(exc.value)


def test_an_isolated_place_names_its_row(data_dir):
    with (data_dir / "places.csv").open("a", encoding="utf-8") as f:
        f.write("lonely,Lonely,16.0,-2.0,town,Timbuktu,Mali,no road\n")
    rows = (data_dir / "places.csv").read_text(encoding="utf-8").splitlines()
    assert _world_error(data_dir).endswith(f"places.csv, row {len(rows)}: lonely has no route in routes.csv")


def test_a_sink_no_source_reaches_names_the_good(data_dir):
    with (data_dir / "places.csv").open("a", encoding="utf-8") as f:
        f.write("island_a,Island A,16.0,-2.0,town,Timbuktu,Mali,x\nisland_b,Island B,16.1,-2.1,town,Timbuktu,Mali,x\n")
    with (data_dir / "routes.csv").open("a", encoding="utf-8") as f:
        f.write("island_a,island_b,15,track,0.1,\n")
    edit(data_dir / "goods.yaml", "sinks: [algiers, tripoli]", "sinks: [algiers, tripoli, island_a]")
    assert "goods.yaml, row " in _world_error(data_dir)
    assert _world_error(data_dir).endswith("sink 'island_a' of cocaine is not connected to any of its sources")


def test_a_country_typo_names_the_row(data_dir):
    edit(
        data_dir / "places.csv",
        "tamanrasset,Tamanrasset,22.785,5.523,market,Algeria,Algeria",
        "tamanrasset,Tamanrasset,22.785,5.523,market,Algeria,Algerie",
    )
    assert "country 'Algerie' looks like a typo of 'Algeria'" in _world_error(data_dir)
