"""Who is on call, continuity, escalation policies and the escalation engine."""
