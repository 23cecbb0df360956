"""Several gunicorn workers, one set of numbers: whichever worker Prometheus reaches, the
webhook latency histogram counts every worker's requests (PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families
from twilio.request_validator import RequestValidator

from config.settings import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN
from tests.conftest import HUB_COMMAND, user_env
from tests.test_newcomer import _free_port

TEXTS = 40


def webhook_count(page: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(page)
               for s in family.samples
               if s.name == "hub_webhook_seconds_count" and s.labels["path"] == "/twilio/sms")


@pytest.fixture
def two_workers(tmp_path):
    """``gunicorn -w 2 'app:create_app()'`` with a multiprocess directory, on SQLite."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = user_env(tmp_path, HUB_INSTANCE_DIR=str(tmp_path / "instance"), HUB_PUBLIC_URL=url,
                   HUB_SCHEDULER="off", HUB_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
                   HUB_INDEX_KEY="workers-index-key-0123456789",
                   HUB_SECRET_KEY="workers-secret-key-0123456789",
                   PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    # the schema first, so the two workers do not both create it
    subprocess.run([HUB_COMMAND, "outbox"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=60)
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "app:create_app()"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        for _ in range(300):
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # not listening, or still starting
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def test_every_scrape_counts_the_texts_both_workers_answered(two_workers):
    url = two_workers
    validator = RequestValidator(LOCAL_AUTH_TOKEN)
    for n in range(TEXTS):
        params = {"MessageSid": f"SM{n:032d}", "AccountSid": LOCAL_ACCOUNT_SID,
                  "From": "+12025550199", "To": "+15005550006", "Body": "hello"}
        signature = validator.compute_signature(url + "/twilio/sms", params)
        with requests.post(url + "/twilio/sms", data=params, timeout=10,
                           headers={"X-Twilio-Signature": signature,
                                    "Connection": "close"}) as answer:
            assert answer.status_code == 200

    counts = {webhook_count(requests.get(url + "/metrics", timeout=10,
                                         headers={"Connection": "close"}).text)
              for _ in range(8)}

    assert counts == {TEXTS}
