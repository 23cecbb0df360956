"""The baseline for the webhook benchmark: a bare Flask app answering /twilio/sms with fixed TwiML.

It parses the form (as any real endpoint must) and does nothing else: no signature check, no
database, no outbound. ``gunicorn -w 2 --chdir bench 'bare_app:create_app()'`` serves it.
"""

from __future__ import annotations

from flask import Flask, Response, request

# The same answer the hub gives an English-speaking patient, byte for byte.
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Your care team has received your '
    "message and the on-call nurse has been paged. They will call you back. If this is an "
    "emergency, call 911. For a mental health crisis, call or text 988.</Message></Response>"
)


def create_app() -> Flask:
    """A Flask app with POST /twilio/sms (fixed TwiML) and GET /healthz."""
    app = Flask(__name__)

    @app.post("/twilio/sms")
    def sms() -> Response:
        request.form  # noqa: B018 -- parse the body like the hub does
        return Response(TWIML, status=200, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    return app
