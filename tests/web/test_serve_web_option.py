"""`pnp serve --web`: the console starts and stops with the orchestrator process, and a
console address off loopback is refused before anything starts."""

from __future__ import annotations

import json
import urllib.request

from tests.cli.pnp_process import pnp, serve


def test_serve_with_web_prints_the_console_url_and_serves_it_until_stopped(tmp_path):
    server, _ = serve(tmp_path / "pnp.db", "--web", "127.0.0.1:0")
    try:
        url = server.wait_for_line(r"web console on (http://127\.0\.0\.1:\d+/)")[1]
        with urllib.request.urlopen(url + "healthz", timeout=10) as answer:
            assert json.loads(answer.read())["status"] == "serving"
    finally:
        code, stderr = server.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_serve_refuses_a_console_off_loopback(tmp_path):
    done = pnp("serve", "--db", str(tmp_path / "pnp.db"), "--web", "0.0.0.0:8080")
    assert done.returncode == 2
    assert "loopback only" in done.stderr
    assert not (tmp_path / "pnp.db").exists()  # refused before anything started
