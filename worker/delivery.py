"""Job: deliver the outbox over SMTP (handoff.sender.deliver_due) every round."""
from __future__ import annotations

from handoff.sender import deliver_due, smtp_factory
from worker.context import Context

INTERVAL = 2.0


def run(context: Context) -> dict[str, int]:
    """Deliver every hand-off e-mail that is due; returns counts by outcome."""
    s = context.settings
    connect = smtp_factory(s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_user, s.smtp_password, s.smtp_timeout)
    return deliver_due(context.factory, connect, s.mail_from, s.send_max_attempts)
