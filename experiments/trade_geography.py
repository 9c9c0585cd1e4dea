"""Where the trade runs: shares through northern Mali, value per crossing, margins, migrants (issue 13).

``python -m experiments.trade_geography --seeds 20`` runs the default scenario and the historical
one (to the end of 2021) over the seeds and prints, for each number, the mean over seeds with its
95% t-interval:

- the share of each illicit good shipped on routes through northern Mali (``north_share.<good>``);
- the illicit value through each crossing, per year and as a share of all crossings';
- the realised margin of each good per unit and per kg of cargo, and the ratios 002 note 23 gives
  (cocaine / resin 25, resin / cigarettes 12);
- migrants through Timbuktu per week in 2021 (F9: 500-1,000), from the historical scenario.

``--json FILE`` saves the per-seed values; ``--from-json FILE`` renders a saved file again.
Nothing here decides a result: the numbers are the registered outcomes of ``sim/outcomes.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from experiments.stats import mean_interval
from sim.run import run
from simcli.compose import compose

HISTORY_WEEKS_TO_2021 = 521  # 2012-01-02 plus 521 weeks is 2021-12-27


def measure(seeds: int) -> dict:
    """Per-seed values of the default and historical scenarios."""
    out: dict = {"default": [], "history": []}
    for seed in range(seeds):
        started = time.perf_counter()
        res = run(compose([f"seed={seed}"]))
        world, weeks = res.model.world, res.model.steps
        row = {k: v for k, v in res.summary.items() if k.split(".")[0] in ("north_share", "margin")}
        row["weeks"] = weeks
        row["bulk_kg"] = {g.id: g.bulk_t * 1000 for g in world.goods}
        row["illicit_value_through"] = {
            k.split(".", 1)[1]: v for k, v in res.summary.items() if k.startswith("illicit_value_through.")
        }
        out["default"].append(row)
        hist = run(compose(["scenario=history", f"seed={seed}", f"steps={HISTORY_WEEKS_TO_2021}"]))
        ts = hist.timeseries
        in_2021 = ts["date"].str.startswith("2021")
        out["history"].append(
            {"migrants_through_timbuktu_2021": float(ts.loc[in_2021, "migrants_through_timbuktu"].mean())}
        )
        print(f"seed {seed}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return out


def _fmt(mean: float, lo: float, hi: float, digits: int = 2) -> str:
    return f"{mean:,.{digits}f} [{lo:,.{digits}f}, {hi:,.{digits}f}]"


def render(data: dict) -> str:
    """The tables as Markdown."""
    runs, hist = data["default"], data["history"]
    n = len(runs)
    lines = [f"Default scenario, {n} seeds, {runs[0]['weeks']} weeks; mean [95% t-interval over seeds].", ""]
    lines += ["| illicit good | share through northern Mali |", "|---|---|"]
    for key in sorted(k for k in runs[0] if k.startswith("north_share.")):
        lines.append(f"| {key.split('.', 1)[1]} | {_fmt(*mean_interval([r[key] for r in runs])[:3])} |")
    lines += ["", "| crossing | illicit value, million USD a year | share of all crossings |", "|---|---|---|"]
    crossings = sorted(runs[0]["illicit_value_through"], key=lambda c: -runs[0]["illicit_value_through"][c])
    for c in crossings:
        per_year = [r["illicit_value_through"][c] / r["weeks"] * 52 / 1e6 for r in runs]
        share = [r["illicit_value_through"][c] / max(sum(r["illicit_value_through"].values()), 1e-9) for r in runs]
        lines.append(f"| {c} | {_fmt(*mean_interval(per_year)[:3])} | {_fmt(*mean_interval(share)[:3])} |")
    lines += ["", "| good | realised margin, USD per unit | USD per kg of cargo |", "|---|---|---|"]
    per_kg = {}
    for key in sorted(k for k in runs[0] if k.startswith("margin.")):
        good = key.split(".", 1)[1]
        per_kg[good] = [r[key] / r["bulk_kg"][good] for r in runs]
        per_unit = _fmt(*mean_interval([r[key] for r in runs])[:3], 0)
        lines.append(f"| {good} | {per_unit} | {_fmt(*mean_interval(per_kg[good])[:3], 1)} |")
    ratios = (("cocaine", "cannabis_resin", 25), ("cannabis_resin", "cigarettes", 12))
    lines += ["", "| ratio of realised margins per kg | model | 002 note 23 |", "|---|---|---|"]
    for a, b, text in ratios:
        if a in per_kg and b in per_kg:
            r = [x / y if y else float("nan") for x, y in zip(per_kg[a], per_kg[b], strict=True)]
            lines.append(f"| {a} / {b} | {_fmt(*mean_interval(r)[:3], 1)} | {text} |")
    m = mean_interval([h["migrants_through_timbuktu_2021"] for h in hist])[:3]
    lines += [
        "",
        f"Historical scenario, {len(hist)} seeds: migrants through Timbuktu per week in 2021 "
        f"{_fmt(*m, 0)} (F9: 500-1,000).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure (or re-render) and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--json", help="save the per-seed values here")
    ap.add_argument("--from-json", help="render a saved file instead of running")
    args = ap.parse_args(argv)
    if args.seeds < 2:
        ap.error("--seeds must be at least 2 (a t-interval needs two)")
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            data = json.load(f)
    else:
        data = measure(args.seeds)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(data, f)
    print(render(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
