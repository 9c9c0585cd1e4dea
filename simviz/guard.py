"""What the browser server may read, write and answer (issue 21).

- **Roots.** The sweep page opens only directories under the roots chosen when the server
  starts (``--root``, default: the working directory's ``multirun/`` and ``outputs/``); any
  other path gets the same one-line refusal whether it exists or not, so the page reveals
  nothing about the rest of the file system. Symbolic links are resolved before the check.
- **Bounded work.** A directory is aggregated only if it looks like a sweep (``runs/`` or the
  aggregated tables) and holds at most :data:`MAX_RUNS` runs.
- **A cache of its own.** Derived tables go to ``~/.cache/sahel-sim/sweeps/<hash of the
  path>/`` (or ``$SAHEL_SIMVIZ_CACHE``), never into the sweep directory.
- **Hosts and origins.** Requests whose ``Host`` header is not the server's own (DNS
  rebinding) and websockets opened from another origin are refused; every response forbids
  framing (``X-Frame-Options: DENY``, CSP ``frame-ancestors 'none'``).
- **Seeds** are those the command line accepts (0 to 2**63 - 1).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

ENV_ROOTS = "SAHEL_SIMVIZ_ROOTS"
ENV_CACHE = "SAHEL_SIMVIZ_CACHE"
ENV_HOSTS = "SAHEL_SIMVIZ_HOSTS"
MAX_RUNS = 50_000
SEED_MAX = 2**63 - 1  # as sim.params.RunConfig.seed
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
REFUSED = {"path": 0, "host": 0, "origin": 0, "size": 0}  # refusals since the server started (for the record)


class GuardError(Exception):
    """A request the server refuses; the message is one line for the page."""


def default_roots(cwd: Path | None = None) -> list[Path]:
    """The working directory's ``multirun/`` and ``outputs/``."""
    base = cwd or Path.cwd()
    return [base / "multirun", base / "outputs"]


def set_roots(roots: list[str | Path]) -> None:
    """Record the roots for the server (its worker reads them from the environment)."""
    os.environ[ENV_ROOTS] = os.pathsep.join(str(Path(r).expanduser().resolve()) for r in roots)


def roots() -> list[Path]:
    """The directories the sweep page may open, resolved."""
    text = os.environ.get(ENV_ROOTS)
    found = [Path(p) for p in text.split(os.pathsep) if p] if text else default_roots()
    return [p.expanduser().resolve() for p in found]


def resolve_sweep(text: str) -> Path:
    """The sweep directory a user typed, if it lies under a root.

    Raises:
        GuardError: outside the roots (said the same way whether the path exists or not), or too big.
    """
    raw = Path(text.strip()).expanduser()
    path = (raw if raw.is_absolute() else Path.cwd() / raw).resolve()
    allowed = roots()
    if not any(path == r or path.is_relative_to(r) for r in allowed):
        REFUSED["path"] += 1
        shown = ", ".join(str(r) for r in allowed)
        raise GuardError(f"{text.strip()}: not under the sweep roots ({shown}); start the server with --root DIR")
    runs = path / "runs"
    if runs.is_dir():
        with os.scandir(runs) as entries:
            n = sum(1 for _ in zip(entries, range(MAX_RUNS + 1), strict=False))
        if n > MAX_RUNS:
            REFUSED["size"] += 1
            hint = "aggregate it with python -m experiments.aggregate"
            raise GuardError(f"{text.strip()}: more than {MAX_RUNS} runs; {hint}")
    return path


def cache_dir(sweep: Path) -> Path:
    """Where the page writes a sweep's derived tables: a cache of its own, one folder per sweep."""
    base = Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "sahel-sim" / "sweeps")
    return base / hashlib.sha256(str(sweep.resolve()).encode()).hexdigest()[:16]


def seed(value: object, fallback: int) -> int:
    """A seed the command line accepts, else ``fallback``."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return fallback
    return number if 0 <= number <= SEED_MAX else fallback


# --- hosts, origins, framing -----------------------------------------------------------------------


def allowed_hosts(listen: str) -> set[str] | None:
    """Host names the server answers to; None (any) when it listens on every address without a list."""
    extra = {h.strip().lower() for h in os.environ.get(ENV_HOSTS, "").split(",") if h.strip()}
    if listen in ("0.0.0.0", "::", ""):
        return extra or None
    return ({listen.lower()} | (LOOPBACK if listen in LOOPBACK else set())) | extra


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
]


class Guard:
    """ASGI middleware: refuse foreign hosts and cross-origin websockets, forbid framing."""

    def __init__(self, app, listen: str = "127.0.0.1"):
        self.app, self.hosts = app, allowed_hosts(listen)

    async def __call__(self, scope, receive, send):
        """Check one request or websocket, then pass it on (with the framing headers) or refuse it."""
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get(b"host", "")
        if self.hosts is not None and _hostname(host) not in self.hosts:
            REFUSED["host"] += 1
            return await self._refuse(scope, send, 421, f"unknown host {host!r}")
        origin = headers.get(b"origin")
        if scope["type"] == "websocket" and origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            REFUSED["origin"] += 1
            return await self._refuse(scope, send, 403, f"cross-origin websocket from {origin!r}")
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _refuse(scope, send, status: int, reason: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
            return
        body = f"refused: {reason}\n".encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": body})


def install(listen: str) -> None:
    """Put the guard in front of Solara's server app.

    Solara's server module reads its settings when imported, so it must not be imported before
    ``solara run`` has set them; instead the guard joins the app's middleware when Starlette
    builds its stack, at the first request.
    """
    import sys

    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    build = Starlette.build_middleware_stack
    if getattr(build, "guarded", False):
        return

    def guarded_build(self):
        server = sys.modules.get("solara.server.starlette")
        ours = server is not None and self is getattr(server, "app", None)
        if ours and not any(m.cls is Guard for m in self.user_middleware):
            self.user_middleware.insert(0, Middleware(Guard, listen=listen))
        return build(self)

    guarded_build.guarded = True
    Starlette.build_middleware_stack = guarded_build
