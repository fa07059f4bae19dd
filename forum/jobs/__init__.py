"""Work that happens outside a request, run by `flask --app wsgi jobs run` (forum/cli/jobs.py).

* alerts   on-call alerts for urgent cases: find what is due, write it to the outbox once,
           send the outbox by SMTP (exactly once per case, step and moderator)

A pass (``run_once``) is safe to run on several machines at once: rows are created with
insert-or-ignore on a unique key and claimed with FOR UPDATE SKIP LOCKED (PostgreSQL) and a
conditional UPDATE (both databases) before anything is sent.
"""

from .alerts import AlertPass, enqueue_due_alerts, run_once, send_pending_alerts

__all__ = ["AlertPass", "enqueue_due_alerts", "run_once", "send_pending_alerts"]
