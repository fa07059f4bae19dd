"""`flask jobs run`: the worker for work outside requests (on-call alerts). `make run` starts it
beside gunicorn; run it on as many machines as you like (each alert is sent once)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from .. import jobs
from ..extensions import db

jobs_group = AppGroup("jobs", help="Background work: on-call alerts for urgent cases.")


@jobs_group.command("run")
@click.option("--once", is_flag=True, help="One pass, then exit (cron, tests).")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.5, 600),
    help="Seconds between passes.",
)
def run_command(once: bool, interval: float) -> None:
    """Queue the on-call alerts that are due and send them; again every few seconds."""
    while True:
        try:
            result = jobs.run_once()
        except Exception as exc:  # the loop keeps going; the next pass retries
            db.session.rollback()
            click.echo(f"jobs: pass failed: {exc}", err=True)
            result = None
        if result is not None and (result.queued or result.sent or result.aborted):
            click.echo(
                f"jobs: {result.queued} alert(s) queued, {result.sent} sent"
                + (f"; mail server away ({result.aborted}), will retry" if result.aborted else "")
            )
        if once:
            return
        db.session.remove()
        time.sleep(interval)
