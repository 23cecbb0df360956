"""The edge to Twilio: webhooks, signatures, TwiML, outbound transport, staff replies."""
