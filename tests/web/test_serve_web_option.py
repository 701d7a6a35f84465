"""`pnp serve --web`: the console starts and stops with the orchestrator process; plain,
a console address off loopback is refused before anything starts unless told
--web-insecure; with --tls-dir it is HTTPS and knows who is calling."""

from __future__ import annotations

import json
import ssl
import urllib.request

from tests.cli.pnp_process import pnp, serve
from tests.security.conftest import VIEWER, factory_pki  # noqa: F401 (fixture)


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


def test_serve_with_tls_serves_the_console_over_https_with_roles(tmp_path, factory_pki):  # noqa: F811
    server, _ = serve(
        tmp_path / "pnp.db", "--tls-dir", str(factory_pki.root), "--web", "127.0.0.1:0"
    )
    try:
        found = server.wait_for_line(r"web console on (https://127\.0\.0\.1:\d+/) \((.*)\)")
        url, exposure = found[1], found[2]
        viewer = ssl.create_default_context(cafile=str(factory_pki.root / "ca.pem"))
        files = factory_pki.files(VIEWER)
        viewer.load_cert_chain(str(files.certificate), str(files.key))
        with urllib.request.urlopen(url + "api/me", timeout=10, context=viewer) as answer:
            me = json.loads(answer.read())
    finally:
        code, stderr = server.stop()
    assert code == 0, stderr
    assert "viewers read, planners act" in exposure
    assert me == {"secured": True, "caller": "planner vera", "role": "viewer"}


def test_a_plain_console_off_loopback_only_when_told_and_it_says_so(tmp_path):
    server, _ = serve(tmp_path / "pnp.db", "--web", "0.0.0.0:0", "--web-insecure")
    try:
        line = server.wait_for_line(r"web console on http://0\.0\.0\.0:(\d+)/ \((.*)\)")
        # Listening on every interface, so on loopback too.
        with urllib.request.urlopen(f"http://127.0.0.1:{line[1]}/healthz", timeout=10) as answer:
            assert json.loads(answer.read())["status"] == "serving"
    finally:
        code, stderr = server.stop()
    assert code == 0, stderr
    assert "ANYONE who reaches it may act" in line[2]
