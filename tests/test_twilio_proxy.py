"""A practice behind an outbound proxy: the Twilio client still honours the environment's
proxy settings (read once per host, not on every page)."""

from __future__ import annotations

from messages.transport import TwilioTransport


class _Account:
    practice_number = "+12025550100"
    conversations_identity = "practice"
    twilio_account_sid = "AC" + "c" * 32
    twilio_auth_token = "token"
    twilio_api_url = "https://api.twilio.com"


def _settings_for(transport: TwilioTransport, url: str) -> dict[str, object]:
    http = transport._client.http_client
    return http.session.merge_environment_settings(url, http.proxy, None, None, None)


def test_the_it_persons_proxy_carries_the_pages(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.practice.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    transport = TwilioTransport(_Account())  # type: ignore[arg-type]
    first = _settings_for(transport, "https://api.twilio.com/2010-04-01/Accounts/x/Messages.json")
    assert first["proxies"]["https"] == "http://proxy.practice.example:3128"
    # The second page asks the environment no more, and gets the same answer.
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.example:1")
    again = _settings_for(transport, "https://api.twilio.com/2010-04-01/Accounts/x/Calls.json")
    assert again["proxies"]["https"] == "http://proxy.practice.example:3128"


def test_no_proxy_for_the_api_host_is_honoured(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.practice.example:3128")
    monkeypatch.setenv("NO_PROXY", "api.twilio.com")
    transport = TwilioTransport(_Account())  # type: ignore[arg-type]
    settings = _settings_for(transport, "https://api.twilio.com/2010-04-01/Accounts/x/Calls.json")
    assert "https" not in settings["proxies"]


