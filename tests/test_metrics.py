"""Prometheus may scrape the line's numbers; strangers may not. Refused webhooks are counted,
never logged one by one."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select, text

from app import create_app
from hub.models import LogEntry, utcnow
from messages import kick
from messages.engine import tick
from tests.conftest import ACCOUNT_SID, PRACTICE_NUMBER
from tests.practice import BEN, WALTER

TOKEN = "scrape-token-0123456789"


def samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page: {(name, sorted labels): value}."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page) for s in family.samples}


def scrape(client, **headers: str):
    return client.get("/metrics", headers=headers)


def test_a_stranger_cannot_scrape_but_this_host_can(client):
    assert scrape(client).status_code == 200  # loopback, the default
    stranger = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    # a reverse proxy on this host forwards the internet from loopback
    proxied = scrape(client, **{"X-Forwarded-For": "203.0.113.9"})

    assert (stranger.status_code, proxied.status_code) == (403, 403)
    assert "HUB_METRICS_ALLOW" in stranger.get_data(as_text=True)


def test_behind_the_trusted_proxy_the_monitoring_network_scrapes_and_the_internet_cannot(
        settings_for):
    hub = create_app({**settings_for, "HUB_TRUSTED_PROXIES": "10.0.0.2",
                      "HUB_METRICS_ALLOW": "10.20.0.0/16"})
    client = hub.test_client()
    try:
        via_nginx = [client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                                headers={"X-Forwarded-For": who})
                     for who in ("10.20.3.4", "203.0.113.9")]
        forged = client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.7"},
                            headers={"X-Forwarded-For": "10.20.3.4"})
    finally:
        hub.extensions["hub"].engine.dispose()
    assert [r.status_code for r in (*via_nginx, forged)] == [200, 403, 403]


def test_the_settings_name_the_monitoring_network_and_a_token(settings_for):
    hub = create_app({**settings_for, "HUB_METRICS_ALLOW": "10.20.0.0/16",
                      "HUB_METRICS_TOKEN": TOKEN})
    client = hub.test_client()
    try:
        prometheus = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"})
        loopback = scrape(client)
        with_token = client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.7"},
                                headers={"Authorization": f"Bearer {TOKEN}",
                                         "X-Forwarded-For": "198.51.100.7"})
        wrong_token = scrape(client, Authorization="Bearer not-the-token-at-all")
    finally:
        hub.extensions["hub"].engine.dispose()

    assert [r.status_code for r in (prometheus, loopback, with_token, wrong_token)] \
        == [200, 403, 200, 403]


def test_after_a_text_is_paged_and_acked_the_metrics_show_it_without_patient_data(
        rt, client, twilio, twilio_api, practice):
    twilio.sms(WALTER, "feeling dizzy since dinner")
    twilio_api.wait_for(1)
    twilio.sms(BEN, "ack")
    twilio.post("/twilio/sms", {"From": WALTER, "Body": "forged"}, signature="Zm9yZ2Vk")

    page = scrape(client).get_data(as_text=True)

    found = samples(page)
    sms = (("code", "200"), ("path", "/twilio/sms"))
    assert found[("hub_webhook_seconds_count", sms)] >= 2
    assert found[("hub_webhook_seconds_count", (("code", "403"), ("path", "/twilio/sms")))] >= 1
    assert found[("hub_pages_sent_total", (("channel", "sms"),))] == 1
    assert found[("hub_pages_failed_total", (("channel", "sms"),))] == 0
    assert found[("hub_time_to_ack_seconds_count", ())] == 1
    assert found[("hub_time_to_ack_seconds_bucket", (("le", "60.0"),))] == 1
    assert found[("hub_timers_overdue", ())] == 0
    assert found[("hub_webhooks_refused_total", ())] == 1
    for patient_data in (WALTER, WALTER[1:], BEN[1:], "dizzy", "Walter"):
        assert patient_data not in page


def test_a_failed_page_is_counted(rt, client, twilio, twilio_api, practice):
    twilio.sms(WALTER, "hello")
    twilio_api.wait_for(1)
    with rt.sessions() as session:
        sid = session.scalar(text("SELECT provider_sid FROM outbound"))
    twilio.status(sid, "undelivered", 30003)

    found = samples(scrape(client).get_data(as_text=True))

    assert found[("hub_pages_failed_total", (("channel", "sms"),))] == 1


# --- refused webhooks: counted, summarised once a minute ------------------------------------

def unsigned_text(client, n: int):
    return client.post("/twilio/sms", data={
        "MessageSid": f"SM{n:032d}", "AccountSid": ACCOUNT_SID, "From": WALTER,
        "To": PRACTICE_NUMBER, "Body": "let me in SECRET-BODY-7731"})


def refusal_entries(rt) -> list[dict]:
    with rt.sessions() as session:
        return [json.loads(d) for d in session.scalars(
            select(LogEntry.detail).where(LogEntry.event.like("security.%")))]


def test_500_unsigned_posts_are_refused_and_logged_as_one_count_a_minute(rt, client, practice):
    answers = {unsigned_text(client, n).status_code for n in range(500)}

    assert answers == {403}
    assert refusal_entries(rt) == []  # nothing in the log yet, nothing under its lock

    start = utcnow()
    tick(rt, now=start)  # the first tick only schedules the summary a minute on
    summary = tick(rt, now=start + timedelta(minutes=1))
    unsigned_text(client, 501)
    half_a_minute_later = tick(rt, now=start + timedelta(minutes=1, seconds=30))
    next_minute = tick(rt, now=start + timedelta(minutes=2))
    quiet_minute = tick(rt, now=start + timedelta(minutes=3))

    assert [t["refusals_logged"] for t in (summary, half_a_minute_later, next_minute,
                                           quiet_minute)] == [500, 0, 1, 0]
    entries = refusal_entries(rt)
    assert [e["count"] for e in entries] == [500, 1]
    logged = json.dumps(entries)
    assert "SECRET-BODY" not in logged and WALTER[2:] not in logged
    found = samples(scrape(client).get_data(as_text=True))
    assert found[("hub_webhooks_refused_total", ())] == 501


def test_an_unsigned_post_is_refused_while_the_log_is_locked(rt, client, practice):
    if not rt.settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has one write lock for everything")
    holder = create_engine(rt.settings.database_url)
    locked, release = threading.Event(), threading.Event()

    def hold_the_log_head() -> None:
        with holder.begin() as conn:
            conn.execute(text("SELECT seq FROM log_head WHERE id = 1 FOR UPDATE"))
            locked.set()
            release.wait(10)

    thread = threading.Thread(target=hold_the_log_head)
    thread.start()
    try:
        assert locked.wait(5)
        started = time.monotonic()
        answer = unsigned_text(client, 1)
        took = time.monotonic() - started
    finally:
        release.set()
        thread.join()
        holder.dispose()
        kick.drain()

    assert answer.status_code == 403 and took < 2


def test_a_mistyped_scraper_network_stops_start_up_naming_the_setting(settings_for):
    from config.settings import SettingError

    with pytest.raises(SettingError, match=r"^HUB_METRICS_ALLOW: '10.0.0.0/33' is not"):
        create_app({**settings_for, "HUB_METRICS_ALLOW": "127.0.0.1, 10.0.0.0/33"})
