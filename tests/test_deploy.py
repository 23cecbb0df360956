"""The production section's files, tried as far as this machine allows: the systemd units are
valid and run the hub's real commands, the settings file they read is accepted once its
secrets are filled in, and nginx with the sample site in front of a running hub ends TLS,
passes Twilio's signed webhooks through, and tells the hub the patient's address and https
(which the hub believes only from the proxy)."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twilio.request_validator import RequestValidator

from config.settings import NAMES, load_settings
from hub.cli import cli
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PRACTICE_NUMBER, PUBLIC_URL
from tests.practice import WALTER

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _exec_lines(unit: Path) -> list[str]:
    return re.findall(r"^Exec(?:Start|StartPre)=(.+)$", unit.read_text(), re.M)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not here")
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_the_systemd_units_are_valid_where_the_hub_is_installed(unit, tmp_path):
    venv_bin = Path(sys.executable).parent
    env_file = tmp_path / "hub.env"
    env_file.write_text("")
    placed = tmp_path / unit.name
    placed.write_text(unit.read_text()
                      .replace("/opt/careline-hub/venv/bin", str(venv_bin))
                      .replace("/opt/careline-hub", str(ROOT))
                      .replace("/etc/careline-hub/hub.env", str(env_file)))
    found = subprocess.run(["systemd-analyze", "verify", str(placed)], capture_output=True,
                           text=True, timeout=60)
    assert found.stdout + found.stderr == "" and found.returncode == 0


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_the_units_run_the_hubs_own_commands(unit):
    for line in _exec_lines(unit):
        program, *args = line.split()
        if program.endswith("/hub"):
            result = cli.main([*args, "--help"], standalone_mode=False)
            assert result == 0 or result is None, line
        elif program.endswith("/gunicorn"):
            assert args[-1] == "'app:create_app()'"
            assert "--preload" not in args  # each worker opens its own pool and threads
        else:
            raise AssertionError(f"{unit.name} runs something unknown: {line}")


def test_the_settings_file_names_only_real_settings_and_starts_once_filled_in(tmp_path):
    text = (DEPLOY / "hub.env.example").read_text()
    pairs = dict(line.split("=", 1) for line in text.splitlines()
                 if line.strip() and not line.startswith("#"))
    assert set(pairs) <= set(NAMES)
    filled = {**pairs, "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
              "HUB_INDEX_KEY": "an-index-key-of-thirty-two-chars", "HUB_SECRET_KEY": "secret",
              "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
              "HUB_INSTANCE_DIR": str(tmp_path)}
    assert not [v for v in filled.values() if "<" in v]
    settings = load_settings(filled)
    assert settings.engine == "separate" and [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32"]
    assert settings.public_url.startswith("https://") and not settings.key_files


# --- nginx in front of a running hub ---------------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "care-line.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _site(hub_port: int, tls_port: int, http_port: int, cert: Path, key: Path,
          folder: Path) -> str:
    """The sample site, moved to this test's ports, certificate and folders."""
    site = (DEPLOY / "nginx" / "careline-hub.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{hub_port};")
    site = re.sub(r"listen \[::\]:\d+[^;]*;\n", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;")
    site = re.sub(r"ssl_certificate .*;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key .*;", f"ssl_certificate_key {key};", site)
    return re.sub(r"access_log .*;", f"access_log {folder}/access.log;", site)


@pytest.fixture
def behind_nginx(settings_for, tmp_path):
    """The hub served by a real server thread, trusting 127.0.0.1, behind nginx with TLS."""
    from werkzeug.serving import make_server

    from app import create_app

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (.ci/run installs it)")
    app = create_app({**settings_for, "HUB_TRUSTED_PROXIES": "127.0.0.1"})
    from flask import request

    beliefs: list[tuple[str | None, str]] = []
    app.before_request(lambda: beliefs.append((request.remote_addr, request.scheme)) and None)
    hub_port, tls_port, http_port = _free_port(), _free_port(), _free_port()
    server = make_server("127.0.0.1", hub_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = tmp_path / "nginx"
    folder.mkdir()
    cert, key = _certificate(folder)
    (folder / "site.conf").write_text(_site(hub_port, tls_port, http_port, cert, key, folder))
    (folder / "nginx.conf").write_text(
        f"user root; worker_processes 1; daemon off; pid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\nevents {{}}\n"
        f"http {{ client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/f; uwsgi_temp_path {folder}/u; scgi_temp_path "
        f"{folder}/s;\n  include {folder}/site.conf; }}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                             stderr=subprocess.DEVNULL)
    context = ssl.create_default_context(cafile=str(cert))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = http.client.HTTPSConnection("127.0.0.1", tls_port, context=context, timeout=2)
        try:
            probe.connect()
            break
        except OSError:
            time.sleep(0.05)
        finally:
            probe.close()
    yield {"tls": tls_port, "http": http_port, "hub": hub_port, "context": context,
           "beliefs": beliefs}
    proxy.terminate()
    proxy.wait(timeout=10)
    server.shutdown()
    app.extensions["hub"].engine.dispose()


def _from_patient_side(port: int, method: str, path: str, body: str = "",
                       headers: dict[str, str] | None = None,
                       context: ssl.SSLContext | None = None) -> http.client.HTTPResponse:
    """A request from 127.0.0.3 (not the proxy's address): the patient's side of the net."""
    kind = http.client.HTTPSConnection if context else http.client.HTTPConnection
    extra = {"context": context} if context else {}
    conn = kind("127.0.0.1", port, timeout=10, source_address=("127.0.0.3", 0), **extra)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_a_texts_webhook_through_nginx_is_verified_and_answered(behind_nginx, practice):
    params = {"MessageSid": "SM" + "7" * 32, "AccountSid": ACCOUNT_SID, "From": WALTER,
              "To": PRACTICE_NUMBER, "Body": "question about my inhaler", "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/twilio/sms",
                                                               params)
    answer = _from_patient_side(
        behind_nginx["tls"], "POST", "/twilio/sms", urllib.parse.urlencode(params),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
        behind_nginx["context"])
    assert answer.status == 200
    assert behind_nginx["beliefs"] == [("127.0.0.3", "https")]


def test_plain_http_is_sent_to_https_and_forged_headers_from_elsewhere_are_ignored(
        behind_nginx):
    moved = _from_patient_side(behind_nginx["http"], "GET", "/healthz")
    assert moved.status == 301 and moved.getheader("Location").startswith("https://")
    _from_patient_side(behind_nginx["hub"], "GET", "/healthz",
                       headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert behind_nginx["beliefs"] == [("127.0.0.3", "http")]
