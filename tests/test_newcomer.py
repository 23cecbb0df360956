"""A newcomer runs ``python app.py`` on a fresh machine and watches the whole flow, no Twilio."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import HUB_COMMAND, copy_of_checkout, user_env
from tests.staff_login import csrf_of


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def local_hub(tmp_path):
    """``python app.py`` in a fresh checkout, as the README says, and ``hub`` run from
    another folder (a second terminal); stopped afterwards."""
    port = _free_port()
    project = copy_of_checkout(tmp_path / "careline-hub")
    env = user_env(tmp_path, PYTHONPATH=str(project),
                   HUB_PUBLIC_URL=f"http://127.0.0.1:{port}")
    server = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=project, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = env["HUB_PUBLIC_URL"]
    for _ in range(150):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        server.kill()
        output, _ = server.communicate(timeout=10)
        pytest.fail("python app.py did not come up: " + (output or ""))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([HUB_COMMAND, *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=60)

    yield url, hub, project
    server.terminate()
    output, _ = server.communicate(timeout=10)
    local_hub.output = output  # type: ignore[attr-defined]


def test_newcomer_texts_as_the_demo_patient_and_acknowledges_as_the_nurse(local_hub):
    url, hub, project = local_hub
    assert (project / "instance" / "hub.db").exists()
    sent = hub("simulate", "sms", "--from", "+12025550142", "I feel short of breath tonight")
    assert sent.returncode == 0, sent.stderr
    assert "HTTP 200" in sent.stdout and "911" in sent.stdout

    for _ in range(50):
        outbox = hub("outbox").stdout
        if "[sent]" in outbox:
            break
        time.sleep(0.1)
    page = re.search(r"page sms to (\+\d+) \[sent\]\n\s+(.*)", outbox)
    assert page, outbox
    nurse, text = page.groups()
    assert "breath" not in text and "Walter" not in text
    code = re.search(r"ACK (\d{4})", text).group(1)

    acked = hub("simulate", "sms", "--from", nurse, f"ACK {code}")
    assert "Acknowledged" in acked.stdout
    assert hub("verify-log").returncode == 0
    exported = hub("export-log", "--format", "json").stdout
    assert "contact.acknowledged" in exported and "I feel short of breath tonight" in exported


def demo_sign_in(browser, url):
    """Nora's printed demo login, through the form (its CSRF token) as a browser does."""
    token = csrf_of(browser.get(url + "/staff/login").text)
    return browser.post(url + "/staff/login", data={
        "email": "nora.reyes@demo.clinic", "password": "demo-nora", "csrf_token": token})


def test_the_demo_login_opens_the_staff_inbox(local_hub):
    url, _hub, _home = local_hub
    browser = requests.Session()
    answer = demo_sign_in(browser, url)
    assert answer.status_code == 200 and "Open contacts" in answer.text


def test_the_nurse_follows_the_page_to_the_demo_patients_full_care_plan(local_hub):
    url, hub, _home = local_hub
    hub("simulate", "sms", "--from", "+12025550142", "my weight is up 3 lb today")
    for _ in range(50):
        outbox = hub("outbox").stdout
        if "[sent]" in outbox:
            break
        time.sleep(0.1)
    link = re.search(r"(/staff/c/\w+)", outbox).group(1)
    browser = requests.Session()
    demo_sign_in(browser, url)
    contact = browser.get(url + link).text
    plan_link = re.search(r'href="(/staff/p/[^"]+/care-plan)"', contact).group(1)
    plan = browser.get(url + plan_link).text
    for shown in ("call 911, then his daughter Lena", "Dry weight at or under 180 lb",
                  "Meals on Wheels Metro", "Dr. Amir Patel", "medications, appointments",
                  "weight is up 3 lb today"):
        assert shown in plan, shown
