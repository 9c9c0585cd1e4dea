"""The browser server reads only what it should (issue 21): roots, its own cache, hosts, origins, framing."""

from __future__ import annotations

import asyncio
import os

import pytest

from sim.params import RunConfig, from_dict
from sim.sweep import run_block
from simviz import app, guard


@pytest.fixture
def root(tmp_path, monkeypatch):
    sweeps = tmp_path / "multirun"
    sweeps.mkdir()
    monkeypatch.setenv(guard.ENV_ROOTS, str(sweeps))
    monkeypatch.setenv(guard.ENV_CACHE, str(tmp_path / "cache"))
    return sweeps


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize("target", ["/etc", "/proc/self", "/no/such/dir", "../..", "{root}/../..", "{root}/link"])
def test_paths_outside_the_roots_are_refused_alike(root, target):
    (root / "link").symlink_to("/usr")
    with pytest.raises(app.SweepLoadError, match=r": not under the sweep roots \(") as exc:
        app.load_sweep(target.format(root=root))
    assert "no such" not in str(exc.value) and "permission" not in str(exc.value)


def test_a_folder_that_is_not_a_sweep_costs_nothing_and_gets_nothing_written(root):
    folder = root / "notes"
    (folder / "deep" / "deeper").mkdir(parents=True)
    (folder / "deep" / "x.txt").write_text("x")
    before = files_under(root.parent)
    with pytest.raises(app.SweepLoadError, match="no runs found"):
        app.load_sweep(str(folder))
    assert files_under(root.parent) == before


def test_derived_tables_go_to_the_cache_not_the_sweep(root):
    sweep = root / "s"
    data = {
        "steps": 3,
        "seeds": 2,
        "scenario": {"supply_scale": 0.05, "burn_in_weeks": 0},
        "output": {"progress": False},
    }
    run_block(from_dict(RunConfig, data), sweep, job="0", overrides=[])
    before = files_under(sweep)
    loaded = app.load_sweep(str(sweep))
    assert loaded.variants == ["default"] and files_under(sweep) == before
    assert (guard.cache_dir(sweep) / "runs.parquet").exists()
    app.load_sweep(str(sweep))  # the second time from the cache
    assert files_under(sweep) == before


def test_seeds_are_those_the_command_line_accepts():
    assert guard.seed(2**63 - 1, 7) == 2**63 - 1
    assert [guard.seed(v, 7) for v in (2**63, -1, "x", None, 3.0)] == [7, 7, 7, 7, 3]


# --- hosts, origins, framing (the ASGI middleware, driven directly) ---------------------------------


def call(scope_type: str, headers: dict[str, str], listen: str = "127.0.0.1") -> list[dict]:
    sent: list[dict] = []

    async def inner(scope, receive, send):
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        else:
            await send({"type": "websocket.accept"})

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    scope = {"type": scope_type, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(guard.Guard(inner, listen=listen)(scope, receive, send))
    return sent


def test_other_hosts_are_refused_and_responses_forbid_framing():
    ok = call("http", {"host": "127.0.0.1:8765"})
    assert ok[0]["status"] == 200 and (b"x-frame-options", b"DENY") in ok[0]["headers"]
    assert (b"content-security-policy", b"frame-ancestors 'none'") in ok[0]["headers"]
    assert call("http", {"host": "localhost:8765"})[0]["status"] == 200
    for host in ("evil.example:8765", "attacker.test", ""):
        assert call("http", {"host": host})[0]["status"] == 421
    assert call("http", {"host": "sahel.lan:80"}, listen="0.0.0.0")[0]["status"] == 200  # shared on purpose


def test_cross_origin_websockets_are_refused(monkeypatch):
    same = call("websocket", {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"})
    assert same == [{"type": "websocket.accept"}]
    other = call("websocket", {"host": "127.0.0.1:8765", "origin": "http://evil.example"})
    assert other[0]["type"] == "websocket.close" and other[0]["code"] == 1008
    monkeypatch.setenv(guard.ENV_HOSTS, "sahel.lan")
    assert call("http", {"host": "sahel.lan"}, listen="0.0.0.0")[0]["status"] == 200
    assert call("http", {"host": "evil.example"}, listen="0.0.0.0")[0]["status"] == 421
    assert os.environ[guard.ENV_HOSTS] == "sahel.lan"


def test_the_server_started_by_python_m_simviz_is_guarded(tmp_path):
    """End to end: the real Solara server refuses another Host and sends the framing headers."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "simviz", "--no-assets", "--port", str(port)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while True:
            try:
                page = urllib.request.urlopen(url, timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.time() < deadline, "the server did not start"
                time.sleep(0.5)
        assert page.status == 200 and page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Host": "evil.example"}), timeout=5)
        assert refused.value.code == 421
    finally:
        server.terminate()
        server.wait(10)
