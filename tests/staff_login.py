"""Signing in to the staff pages as a browser does: the form first (its CSRF token), then the
post; and the CSRF token of any page's forms."""

from __future__ import annotations

import re

import pyotp

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token the page's forms carry."""
    found = TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client, email: str, password: str, code: str | None = None, totp: str | None = None):
    """Post the sign-in form (``totp``: a secret whose current code is typed in)."""
    form = client.get("/staff/login").get_data(as_text=True)
    if totp is not None:
        code = pyotp.TOTP(totp).now()
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "code": code or "", "csrf_token": csrf_of(form)})


def post_form(client, page: str, action: str, **fields: str):
    """Post one of a page's forms as a browser would (the page's CSRF token with it)."""
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **fields})
