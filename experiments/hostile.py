"""``python -m experiments.hostile``: the figures of docs/reliability.md, measured again.

Tries what a careless or hostile user would (issue 21) and counts what happened:

- **bad inputs** through the command line's pre-flight (what ``python -m sim`` runs before any
  job): each must stop with one line (a clean error), never pass silently or raise anything
  else (a traceback); inputs that used to be silent no-ops and must now *work* are checked too;
- **kills**: a run SIGKILLed at random moments must leave no verified manifest, or files
  identical to an uninterrupted run's;
- **corrupt files** in a finished sweep: each must be named by the aggregate and redone by resume;
- **browser requests**: paths outside the roots, foreign hosts, cross-origin websockets.

Runs in about a minute on 2 cores; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from sim.errors import SimError
from sim.world.tables import DATA_DIR

SMALL = ["scenario=small", "steps=3"]
BC = "policy=border_control"


def _actors(edit: tuple[str, str] | None = None, text: str | None = None, remove: bool = False):
    """A data directory whose actors.yaml is edited, emptied or removed."""

    def make(tmp: Path) -> list[str]:
        data = tmp / f"data{random.random():.9f}"
        shutil.copytree(DATA_DIR, data)
        path = data / "actors.yaml"
        if remove:
            path.unlink()
        elif text is not None:
            path.write_text(text, encoding="utf-8")
        elif edit is not None:
            path.write_text(path.read_text(encoding="utf-8").replace(*edit, 1), encoding="utf-8")
        return [f"scenario.data_dir={data}"]

    return make


def _table(name: str, append: str = "", edit: tuple[str, str] | None = None):
    """A data directory with a world table appended to or edited."""

    def make(tmp: Path) -> list[str]:
        data = tmp / f"data{random.random():.9f}"
        shutil.copytree(DATA_DIR, data)
        path = data / name
        text = path.read_text(encoding="utf-8")
        path.write_text((text.replace(*edit, 1) if edit else text) + append, encoding="utf-8")
        return [f"scenario.data_dir={data}"]

    return make


def _output(kind: str):
    def make(tmp: Path) -> list[str]:
        (tmp / "a_file").write_text("x")
        return [f"hydra.run.dir={tmp / 'a_file' / 'out'}"] if kind == "file" else []

    return make


# Each case: (label, overrides or a function of a temporary directory giving them). All must be refused.
BAD: list[tuple[str, object]] = [
    # silent no-ops of round one
    *(
        (
            f"border_control targets=[{n}] (region and place)",
            ["policy=border_control", f"policy.border_control.targets=[{n}]"],
        )
        for n in ("Kidal", "Gao", "Timbuktu", "Mopti", "Ménaka", "Sikasso", "Ségou", "Kayes", "Koulikoro", "Bamako")
    ),
    (
        "border_control region without crossings",
        ["policy=border_control", "policy.border_control.targets=[region:Bamako]"],
    ),
    (
        "regional_cooperation Egypt (no border)",
        ["policy=regional_cooperation", "policy.regional_cooperation.targets=[Egypt]"],
    ),
    ("typo Algria", ["policy=border_control", "policy.border_control.targets=[Algria]"]),
    ("ddr intensity without ddr", ["policy.ddr.intensity=5"]),
    ("hub_raids hubs without hub_raids", ["policy=ddr", "policy.hub_raids.hubs=3"]),
    ("policy starting after the run (week)", ["steps=10", "policy=ddr", "policy.ddr.start=11"]),
    ("policy starting after the run (date)", ["steps=10", "policy=ddr", "policy.ddr.start=2020-01-06"]),
    ("${now:} in a swept value", ["-m", "seed=1,2", "scenario.name=r_${now:%H%M%S}"]),
    # tracebacks of round one
    ("start date 9999-12-01", ["scenario.start_date=9999-12-01"]),
    ("stock_cap_weeks=1e17", ["scenario.stock_cap_weeks=1e17"]),
    ("initial_crews_scale=1e6", ["scenario.traffickers.initial_crews_scale=1e6"]),
    ("actors_file=/etc/passwd", ["scenario.actors_file=/etc/passwd"]),
    ("actors.yaml empty", _actors(text="")),
    ("actors.yaml bad YAML", _actors(text="armed_groups: [ {id: x\n")),
    ("actors.yaml a list", _actors(text="- a\n")),
    ("actors.yaml unknown place", _actors(edit=("holds: [kidal, aguelhok]", "holds: [kidal, atlantis]"))),
    ("actors.yaml negative fighters", _actors(edit=("fighters: 800", "fighters: -800"))),
    ("actors.yaml text fighters", _actors(edit=("fighters: 800", "fighters: lots"))),
    ("actors.yaml unknown region", _actors(edit=("Kidal: 70000", "Kidall: 70000"))),
    ("actors.yaml unknown kind", _actors(edit=("kind: signatory", "kind: rebels"))),
    ("actors.yaml missing section", _actors(edit=("forces:", "farces:"))),
    ("data dir without actors.yaml", _actors(remove=True)),
    ("output directory is a file", _output("file")),
    ("isolated town", _table("places.csv", append="lonely,Lonely,16.0,-2.0,town,Timbuktu,Mali,x\n")),
    ("country typo", _table("places.csv", edit=(",Algeria,Algeria,Algerian hub", ",Algeria,Algerie,Algerian hub"))),
    ("cut-off source", _table("routes.csv", edit=("zouerat,rif,2000,paved", "zouerat,nouakchott,2000,paved"))),
    # round one's clean errors, kept clean
    ("unknown key", ["nonsense=1"]),
    ("negative supply", ["scenario.supply_scale=-1"]),
    ("NaN supply", ["scenario.supply_scale=nan"]),
    ("number for a switch", ["output.edges=5"]),
    ("syntax error", ["scenario.supply_scale=[1,"]),
    ("unknown target", ["policy=ddr", "policy.ddr.targets=[atlantis]"]),
    ("not a date", ["scenario.start_date=2013-02-30"]),
    ("policy ending before it starts", ["policy=ddr", "policy.ddr.start=10", "policy.ddr.end=5"]),
    ("unknown scenario", ["scenario=nowhere"]),
]

# Inputs that used to be silent no-ops and must now work: (label, overrides, check of the composed config).
GOOD: list[tuple[str, list[str]]] = [
    *(
        (f"border_control targets=[{n}]", ["policy=border_control", f"policy.border_control.targets=[{n}]"])
        for n in ("Algeria", "algeria", "Niger", "Burkina Faso", "Senegal", "Mauritania", "Guinea")
    ),
    ("region:Kidal crossings", ["policy=border_control", "policy.border_control.targets=[region:Kidal]"]),
    ("ddr intensity in a sweep that has ddr", ["-m", "policy=none,ddr", "policy.ddr.intensity=5"]),
]


def bad_inputs(tmp: Path) -> dict[str, int]:
    """Pre-flight each bad input: clean (one line), traceback (anything else) or silent (accepted)."""
    from simcli.app import _describe as describe
    from simcli.app import preflight

    counts = {"tried": 0, "clean": 0, "traceback": 0, "silent": 0, "works": 0, "broken": 0}
    failures = []
    for label, case in BAD:
        overrides = case(tmp) if callable(case) else list(case)
        counts["tried"] += 1
        try:
            preflight([*SMALL, *overrides])
        except (SimError, HydraException, OmegaConfBaseException, ValueError) as exc:
            message = str(exc) if isinstance(exc, SimError) else describe(exc)  # as python -m sim prints it
            one_line = "\n" not in message.strip()
            counts["clean" if one_line else "traceback"] += 1
            if not one_line:
                failures.append(f"several lines: {label}: {message}")
        except Exception as exc:
            counts["traceback"] += 1
            failures.append(f"traceback: {label}: {type(exc).__name__}: {exc}")
        else:
            counts["silent"] += 1
            failures.append(f"silent: {label}")
    for label, overrides in GOOD:
        counts["tried"] += 1
        try:
            preflight([*SMALL, *overrides])
        except Exception as exc:
            counts["broken"] += 1
            failures.append(f"refused but should work: {label}: {exc}")
        else:
            counts["works"] += 1
    for line in failures:
        print(line, file=sys.stderr)
    return counts


def kills(tmp: Path, n: int) -> dict[str, int]:
    """SIGKILL a run at random moments; a verified manifest must mean files identical to a clean run's."""
    from sim.integrity import verified
    from sim.params import RunConfig, from_dict
    from sim.run import run

    data = {"steps": 8, "scenario": {"supply_scale": 0.05, "burn_in_weeks": 0}, "output": {"progress": False}}
    config = from_dict(RunConfig, data)
    reference = tmp / "reference"
    run(config, reference)
    started = time.perf_counter()
    run(config, tmp / "warm")  # the wall time of a warm run: kills land before, during and after it
    wall = time.perf_counter() - started
    names = ["config.yaml", "timeseries.parquet", "edges.parquet"]
    rng = random.Random(21)
    out = {"kills": 0, "cut short": 0, "survived": 0}
    for i in range(n):
        target = tmp / f"killed{i}"
        pid = os.fork()
        if pid == 0:
            try:
                run(config, target)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 3.0 * wall))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        out["kills"] += 1
        out["cut short"] += not verified(target)
        ok = not verified(target) or all((target / f).read_bytes() == (reference / f).read_bytes() for f in names)
        out["survived"] += ok
    return out


def corrupt_files(tmp: Path) -> dict[str, int]:
    """Damage the files of a finished sweep in each way; count what aggregate names and resume redoes."""
    from experiments.aggregate import aggregate
    from sim.integrity import verified
    from sim.params import RunConfig, from_dict
    from sim.sweep import run_block, run_key, single_runs

    damages = {
        "summary emptied": lambda d: (d / "summary.json").write_bytes(b""),
        "summary byte flipped": lambda d: _flip(d / "summary.json"),
        "time series truncated": lambda d: _truncate(d / "timeseries.parquet"),
        "edges truncated": lambda d: _truncate(d / "edges.parquet"),
        "edges deleted": lambda d: (d / "edges.parquet").unlink(),
        "config.yaml garbage": lambda d: (d / "config.yaml").write_text("{{{"),
        "manifest garbage": lambda d: (d / "manifest.json").write_text("nope"),
    }
    data = {"seed": 0, "seeds": len(damages) + 1, "steps": 3, "output": {"progress": False}}
    data["scenario"] = {"supply_scale": 0.05, "burn_in_weeks": 0}
    config = from_dict(RunConfig, data)
    root = tmp / "sweep"
    run_block(config, root, job="0")
    keys = [run_key(s) for s in single_runs(config)]
    for key, damage in zip(keys, damages.values(), strict=False):
        damage(root / "runs" / key)
    report = aggregate(root, tmp / "tables", progress=False)
    named = {k for k, _ in report.corrupt} | {f.run for f in report.failed}
    again = run_block(config, root, job="0")
    redone = [k for k in again.done if k in keys[: len(damages)]]
    return {
        "corrupted": len(damages),
        "detected": len(named & set(keys[: len(damages)])),
        "redone": sum(verified(root / "runs" / k) for k in redone),
        "tables for the rest": int(report.rows > 0 and keys[-1] in report.completed),
    }


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def browser(tmp: Path) -> dict[str, int]:
    """Hostile sweep paths and requests against the guard; count the refusals."""
    from simviz import guard

    root = tmp / "multirun"
    root.mkdir()
    (root / "link").symlink_to("/etc")
    os.environ[guard.ENV_ROOTS] = str(root)
    os.environ[guard.ENV_CACHE] = str(tmp / "cache")
    paths = ["/etc", "/proc/self", "/usr", "/", "../..", "../../..", f"{root}/../..", f"{root}/link", "/no/such", "~"]
    refused = 0
    for p in paths:
        try:
            guard.resolve_sweep(p)
        except guard.GuardError:
            refused += 1
    requests = [
        ("http", {"host": "evil.example"}),
        ("http", {"host": "127.0.0.1.nip.io:8765"}),
        ("http", {"host": ""}),
        ("websocket", {"host": "127.0.0.1:8765", "origin": "http://evil.example"}),
        ("websocket", {"host": "127.0.0.1:8765", "origin": "null"}),
        ("websocket", {"host": "evil.example", "origin": "http://evil.example"}),
    ]
    for kind, headers in requests:
        sent: list[dict] = []

        async def inner(scope, receive, send):
            await send({"type": "http.response.start", "status": 200, "headers": []})

        async def send(message, sent=sent):
            sent.append(message)

        scope = {"type": kind, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
        asyncio.run(guard.Guard(inner, listen="127.0.0.1")(scope, None, send))
        refused += sent[0].get("status") in (403, 421) or sent[0]["type"] == "websocket.close"
    return {"tried": len(paths) + len(requests), "refused": refused}


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table; exit 1 if anything was silent, a traceback, or not survived."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="random SIGKILLs of a run (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sahel-hostile-") as name:
        tmp = Path(name)
        result = {
            "bad inputs": bad_inputs(tmp),
            "kills": kills(tmp, args.kills),
            "corrupt files": corrupt_files(tmp),
            "browser": browser(tmp),
        }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print("| what | counts |\n|---|---|")
        for what, counts in result.items():
            print(f"| {what} | " + ", ".join(f"{k}: {v}" for k, v in counts.items()) + " |")
    b, k, c, w = result.values()
    bad = b["silent"] or b["traceback"] or b["broken"] or k["survived"] < k["kills"]
    bad = bad or c["detected"] < c["corrupted"] or c["redone"] < c["corrupted"] or w["refused"] < w["tried"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
