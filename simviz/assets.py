"""Solara's front-end files, fetched once from the npm registry so the browser view works offline.

Solara's page loads Vue, Vuetify, RequireJS, Font Awesome and (for Altair charts) Vega from a
CDN. Its server proxies those requests through a cache directory
(``solara.server.settings.assets.proxy_cache_dir``, by default ``<venv>/share/solara/cdn``) and
answers from the cache when the file is there, without going out. On a machine that reaches
only the package registries the CDN is out of reach and the page stays blank, so this module
fills that cache from the npm registry instead: ``npm pack SPEC`` downloads exactly the package
the CDN would serve for that URL (``vega@5`` is the newest 5.x on both), and its files are
unpacked to ``<cache>/SPEC/``, the path the proxy looks up.

Which packages are needed is read from the installed Solara (its page template and the Vega
widget), so an upgrade of Solara that moves a version asks for the new one; a fixed list
(verified with Solara 1.64, NOTES.md) is the fallback if those files change shape.

``python -m simviz.assets`` installs what is missing (idempotent; ``--check`` only reports);
``python -m simviz`` calls :func:`ensure` before it starts the server.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Verified with solara 1.64 and ipyvue 1.x (NOTES.md, "SolaraViz (browser)"): the fallback when
# the installed Solara's files cannot be read.
FALLBACK_SPECS = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
)
MARKER = ".sahel-sim-asset.json"  # written last into each unpacked package: its presence means complete
_SPEC = r"((?:@[\w.-]+/)?[\w.-]+@[\w.+-]+)"
_TEMPLATE_RE = re.compile(r"\{\{\s*cdn\s*\}\}/" + _SPEC + "/")
_VUE_RE = re.compile(r"getCdn\(\)\}/" + _SPEC + "/")
# The Solara widgets whose CDN files the app uses: Altair charts, and the grid of Mesa's SolaraViz.
_WIDGETS = ("vegalite.vue", "gridlayout.vue")


class AssetError(RuntimeError):
    """The assets could not be installed; the message says what to do."""


@dataclass(frozen=True)
class Status:
    """Which packages are in the cache and which are missing."""

    cache_dir: Path
    present: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every needed package is in the cache."""
        return not self.missing


def cache_dir() -> Path:
    """Where Solara's server looks for CDN files (``SOLARA_ASSETS_PROXY_CACHE_DIR`` moves it)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_specs() -> list[str]:
    """The npm specs the installed Solara loads from its CDN for this app, in a stable order.

    Read from Solara's page template (the Vue 2 or Vue 3 app, whichever the installed ipyvue
    uses), its Font Awesome setting, and the widgets the app uses; falls back to
    :data:`FALLBACK_SPECS` if those files cannot be read.
    """
    try:
        import ipyvue
        import solara
        import solara.server.settings as server_settings

        root = Path(solara.__file__).parent
        template = (root / "server" / "templates" / "solara.html.j2").read_text(encoding="utf-8")
        vue3 = ipyvue.__version__.startswith("3")
        specs = [s for s in _TEMPLATE_RE.findall(template) if ("vuetify3" in s) == vue3]
        if server_settings.assets.fontawesome_enabled:
            specs += [m.strip("/") for m in re.findall(_SPEC + "/", server_settings.assets.fontawesome_path)]
        for name in _WIDGETS:
            specs += _VUE_RE.findall((root / "widgets" / "vue" / name).read_text(encoding="utf-8"))
    except (OSError, ImportError, AttributeError):
        return list(FALLBACK_SPECS)
    specs = list(dict.fromkeys(specs))
    if not any(s.startswith("@widgetti/solara-vuetify") for s in specs) or not any(
        s.startswith("vega@") for s in specs
    ):
        return list(FALLBACK_SPECS)  # the files changed shape: use what is known to work
    return specs


def is_installed(spec: str, root: Path | None = None) -> bool:
    """Whether a package was completely unpacked into the cache."""
    return ((root or cache_dir()) / spec / MARKER).is_file()


def status(root: Path | None = None) -> Status:
    """What is in the cache and what is missing."""
    root = root or cache_dir()
    specs = required_specs()
    present = tuple(s for s in specs if is_installed(s, root))
    return Status(root, present, tuple(s for s in specs if s not in present))


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "npm is not installed: it fetches the browser view's front-end files from the npm registry. "
            "Install Node.js and npm (Debian: apt-get install -y nodejs npm) and run `python -m simviz.assets`."
        )
    return npm


def npm_pack(specs: list[str], dest: Path) -> list[dict]:
    """Download the tarballs of ``specs`` from the configured npm registry into ``dest``.

    Returns:
        npm's description of each tarball (``name``, ``version``, ``filename``, ``integrity``), in order.

    Raises:
        AssetError: If npm is missing or the registry refused or could not be reached.
    """
    cmd = [_npm(), "pack", *specs, "--json", "--pack-destination", str(dest), "--ignore-scripts"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=dest, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise AssetError(
            f"npm pack {' '.join(specs)} did not finish in 10 minutes (is the npm registry reachable?)"
        ) from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if "ERR" in ln] or proc.stderr.strip().splitlines()[-3:]
        raise AssetError(f"npm pack {' '.join(specs)} failed: {' / '.join(lines) or 'no message'}")
    start = proc.stdout.find("[")
    try:
        packed = json.loads(proc.stdout[start:])
    except ValueError:
        raise AssetError(f"npm pack printed no JSON description: {proc.stdout[:200]!r}") from None
    if len(packed) != len(specs):
        raise AssetError(f"npm pack returned {len(packed)} packages for {len(specs)} specs")
    return packed


def _unpack(tarball: Path, dest: Path) -> None:
    """Unpack an npm tarball into ``dest``, without its top folder (``package/``)."""
    with tarfile.open(tarball, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) < 2 or not (member.isfile() or member.isdir()):
                continue
            member.name = str(Path(*parts[1:]))
            members.append(member)
        tar.extractall(dest, members=members, filter="data")


def install(specs: list[str], root: Path | None = None) -> list[str]:
    """Fetch and unpack ``specs`` into the cache; each appears complete or not at all.

    Returns:
        The specs installed, as ``spec -> name@version`` lines.
    """
    root = root or cache_dir()
    if not specs:
        return []
    root.mkdir(parents=True, exist_ok=True)
    done = []
    with tempfile.TemporaryDirectory(prefix=".sahel-assets-", dir=root) as tmp:
        tmp_path = Path(tmp)
        packed = npm_pack(specs, tmp_path)
        for spec, info in zip(specs, packed, strict=True):
            staging = tmp_path / f"unpacked-{len(done)}"
            _unpack(tmp_path / info["filename"], staging)
            meta = {k: info.get(k) for k in ("name", "version", "integrity")} | {"spec": spec}
            (staging / MARKER).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
            target = root / spec
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)  # a partial copy (no marker) or a file solara cached itself
            os.replace(staging, target)
            done.append(f"{spec} -> {info.get('name')}@{info.get('version')}")
    return done


def ensure(root: Path | None = None, *, quiet: bool = False) -> Status:
    """Install whatever needed package is missing from the cache (nothing if all are there).

    Raises:
        AssetError: If a package is missing and npm cannot fetch it.
    """
    current = status(root)
    if current.complete:
        return current
    for line in install(list(current.missing), current.cache_dir):
        if not quiet:
            print(f"installed {line}", file=sys.stderr)
    return status(current.cache_dir)


def main(argv: list[str] | None = None) -> int:
    """Command line: install the missing front-end files (exit 0), or report them with ``--check``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if something is missing")
    parser.add_argument("--cache-dir", type=Path, default=None, help="the cache (default: Solara's)")
    args = parser.parse_args(argv)
    try:
        result = status(args.cache_dir) if args.check else ensure(args.cache_dir)
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for spec in result.present:
        print(f"ok       {spec}")
    for spec in result.missing:
        print(f"missing  {spec}")
    print(f"cache: {result.cache_dir}")
    return 0 if result.complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
