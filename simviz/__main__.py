"""``python -m simviz``: start the browser view on this machine (http://127.0.0.1:8765 by default).

Before the server starts, the front-end files Solara would fetch from a CDN are put in its cache
from the npm registry if they are missing (:mod:`simviz.assets`), so the page works offline.
The server listens on 127.0.0.1 unless ``--host`` says otherwise: the page runs models, which is
not for the whole network. The sweep page opens only sweeps under ``--root`` (default
``./multirun`` and ``./outputs``), and the server answers only its own host name
(:mod:`simviz.guard`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simviz", description="Start the browser view (scenario and sweep pages) on this machine."
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)")
    parser.add_argument(
        "--scenario", default=None, help="scenario new tabs start with (simcli/configs/scenario/NAME.yaml)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed new tabs start with")
    parser.add_argument("--sweep", default=None, help="sweep directory the sweep page opens with")
    parser.add_argument(
        "--root",
        action="append",
        default=None,
        help="directory whose sweeps the sweep page may open (repeatable; default: ./multirun and ./outputs)",
    )
    parser.add_argument("--open", action="store_true", help="open a web browser on the page")
    parser.add_argument("--no-assets", action="store_true", help="do not fetch missing front-end files")
    parser.add_argument("--dev", action="store_true", help="restart the server when the code changes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Check the assets, then run the Solara server until interrupted."""
    args = parse_args(argv)
    # Solara's server would otherwise report usage to a telemetry service and ask PyPI for its
    # latest version on start; neither is wanted (or reachable) on an offline machine.
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # Each tab holds a model; free it half an hour after its tab closed (Solara's default: a day).
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "30m")
    from simviz import app

    if args.scenario is not None:
        os.environ[app.ENV_SCENARIO] = args.scenario
    if args.seed is not None:
        os.environ[app.ENV_SEED] = str(args.seed)
    if args.sweep is not None:
        os.environ[app.ENV_SWEEP] = args.sweep
    from simviz import guard

    guard.set_roots(args.root or guard.default_roots() + ([Path(args.sweep).resolve()] if args.sweep else []))
    guard.install(args.host)  # Host and Origin checks, no framing (simviz/guard.py)
    if not args.no_assets:
        from simviz import assets

        try:
            status = assets.ensure()
        except assets.AssetError as exc:
            print(f"warning: {exc}\nThe page may stay blank without internet access.", file=sys.stderr)
        else:
            print(f"front-end files: {len(status.present)} packages in {status.cache_dir}", file=sys.stderr)

    from solara.__main__ import cli

    command = [
        "run",
        "simviz.app",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--no-check-version",
        "--open" if args.open else "--no-open",
    ]
    command += ["--auto-restart"] if args.dev else ["--production"]
    return cli.main(args=command, prog_name="python -m simviz", standalone_mode=False) or 0


if __name__ == "__main__":
    raise SystemExit(main())
