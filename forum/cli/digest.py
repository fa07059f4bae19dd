"""`flask digest send`: send every digest that is due (cron-friendly, safe to re-run)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .. import digest
from ..mailer import SmtpTransport

digest_group = AppGroup("digest", help="Email digests of new threads.")


@digest_group.command("send")
@click.option("--frequency", type=click.Choice(digest.FREQUENCIES),
              help="Send only daily or only weekly digests (default: both).")
@click.option("--now", "now_text", metavar="ISO-DATETIME",
              help="Pretend it is this time (UTC unless an offset is given); default: now.")
@click.option("--batch-size", default=digest.BATCH_SIZE, show_default=True, type=click.IntRange(1),
              help="Members composed together.")
def send_command(frequency: str | None, now_text: str | None, batch_size: int) -> None:
    """Send the digests due for the last complete days (daily) and ISO weeks (weekly).

    Digests of the last few periods that were not sent yet (a missed run, a mail outage) are sent
    too, oldest first: FORUM_DIGEST_CATCH_UP_DAYS (3) and FORUM_DIGEST_CATCH_UP_WEEKS (2).

    Nothing is sent twice for one member and period, also with several senders at once.
    """
    try:
        now = digest.parse_now(now_text)
    except ValueError as exc:
        raise click.BadParameter(f"{now_text!r} is not an ISO date-time ({exc})",
                                 param_hint="--now") from exc
    problems = 0
    with SmtpTransport.from_config(current_app.config) as transport:
        for freq in [frequency] if frequency else list(digest.FREQUENCIES):
            reports = digest.send_all_due(freq, now, transport, batch_size=batch_size,
                                          progress=_print_progress)
            problems += sum(_print_summary(report) for report in reports)
            if reports and reports[-1].aborted:
                break
    if problems:
        sys.exit(1)


def _line(report: digest.SendReport) -> str:
    return (f"{report.frequency} digest: {report.done}/{report.total} members done"
            f" — {report.sent} sent, {report.skipped} with nothing new, {report.failed} failed")


def _print_progress(report: digest.SendReport) -> None:
    click.echo(_line(report))


def _print_summary(report: digest.SendReport) -> int:
    start, end = report.period.start, report.period.end
    click.echo(f"{report.frequency} digest for {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC: "
               + _line(report).split(": ", 1)[1])
    for error in report.errors[:20]:
        click.echo(f"  failed: {error}", err=True)
    if len(report.errors) > 20:
        click.echo(f"  … and {len(report.errors) - 20} more failures", err=True)
    if report.aborted:
        click.echo(
            f"Error: {report.aborted}\n"
            "Stopped. Digests not sent yet were not recorded as sent; run the command again "
            "once the mail server is reachable and it will send them.",
            err=True,
        )
        return 1
    if report.failed:
        click.echo(f"Error: {report.failed} digest(s) could not be sent; the next run retries them.",
                   err=True)
        return 1
    return 0
