"""A newcomer whose port 5000 is taken runs ``python app.py --port``: the welcome text's
commands work on that port, and ``hub simulate`` explains what went wrong when it cannot
reach the hub or the hub refuses its signature."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time

import pytest
import requests

from hub.cli import cli
from tests.conftest import HUB_COMMAND, copy_of_checkout, user_env
from tests.test_newcomer import _free_port

WALTER = "+12025550142"


@pytest.fixture
def hub_on_its_own_port(tmp_path):
    """``python app.py --port N`` in an empty directory, and nothing else set: the welcome
    text it printed, and a shell of the same (bare) environment."""
    port = _free_port()
    project = copy_of_checkout(tmp_path / "careline-hub")  # its instance is the copy's
    env = user_env(tmp_path, PYTHONPATH=str(project))
    server = subprocess.Popen(
        [sys.executable, "-u", str(project / "app.py"), "--port", str(port)], cwd=tmp_path,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    welcome: list[str] = []
    while not any("necesito una receta" in line for line in welcome):
        line = server.stdout.readline()
        if not line:
            server.kill()
            pytest.fail("python app.py stopped: " + "".join(welcome))
        welcome.append(line)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.1)

    def shell(args: list[str]) -> subprocess.CompletedProcess[str]:
        assert args[0] == "hub"
        return subprocess.run([HUB_COMMAND, *args[1:]], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)

    yield port, welcome, shell
    server.terminate()
    server.communicate(timeout=10)


def test_the_welcome_texts_commands_reach_the_hub_on_the_port_it_chose(hub_on_its_own_port):
    port, welcome, shell = hub_on_its_own_port
    [line] = [line for line in welcome if "hub simulate sms" in line and "breath" in line]
    command = shlex.split(line.split("#")[0])

    assert f"--url http://127.0.0.1:{port}" in line
    sent = shell(command)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "HTTP 200" in sent.stdout


def test_posting_to_localhost_when_the_hub_checks_127_0_0_1_gets_a_hint(hub_on_its_own_port):
    port, _welcome, shell = hub_on_its_own_port

    refused = shell(["hub", "simulate", "sms", "--url", f"http://localhost:{port}",
                     "--from", WALTER, "hello"])

    assert refused.returncode == 1
    assert "HTTP 403" in refused.stdout
    hint = refused.stderr
    assert "HUB_PUBLIC_URL" in hint and "signature" in hint
    assert f"http://localhost:{port}/twilio/sms" in hint
    assert f"--url http://127.0.0.1:{port}" in hint
    assert "hello" not in hint and WALTER not in hint


def test_a_hub_that_does_not_answer_points_at_the_port_python_app_py_printed(app):
    nowhere = f"http://127.0.0.1:{_free_port()}"

    result = app.test_cli_runner().invoke(cli, ["simulate", "sms", "--url", nowhere,
                                                "--from", WALTER, "hello"])

    assert result.exit_code == 1
    assert f"the hub does not answer at {nowhere}" in result.output
    assert "--url" in result.output and "python app.py" in result.output
