"""The email digest: what goes in it (composition) and sending it exactly once (the ledger).

* periods  which day or ISO week a digest covers
* compose  what goes in each member's digest, for a batch of members at once
* message  the email itself, and the signed one-click unsubscribe link
* ledger   sending each digest exactly once (DigestDelivery rows)

No request globals: everything here runs from the CLI (`flask digest send`) inside an app
context, and from the preview page.

Composition, for one member and one period
  threads with new *published* activity in the period (Post.status 'published' and
  published_at inside it), on live, visible threads whose opening post is published;
  minus muted categories, threads started by members the recipient blocked, and posts
  written by them (a thread whose only new activity is theirs drops out). The recipient's
  own posts are not news to them and don't count as activity either. New threads first,
  then the most active. A content warning replaces the excerpt.

Delivery ledger (DigestDelivery, one row per member, frequency and period_start)
  pending → sending (claimed, committed BEFORE the SMTP call) → sent (committed right after)
                                    ↘ failed (server refused it; retried by the next run)
  skipped = nothing new for this member in this period (kept so re-runs don't recompute).
  Claims use SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL plus a conditional
  UPDATE … RETURNING, so several senders at once never claim the same row.
  A 'sending' row claimed more than ABANDONED_AFTER ago belongs to a sender that died; it is
  claimed again. Trade-off, chosen on purpose: at-least-once. A crash in the short window
  between the server accepting a message and the 'sent' commit (or a connection that drops
  after the server accepted the data) can send that one digest a second time; the retry
  reuses the stored Message-ID so mail systems can fold the two. The alternative
  (at-most-once) would silently drop digests after any crash.
"""

from .compose import (
    MAX_ITEMS,
    Digest,
    DigestItem,
    PeriodActivity,
    Recipient,
    compose_batch,
    compose_digest,
)
from .ledger import BATCH_SIZE, LedgerStatus, SendReport, count_due, send_all_due, send_due
from .message import (
    UNSUBSCRIBE_KEY_SALT,
    UNSUBSCRIBE_MAX_AGE,
    UNSUBSCRIBE_SALT,
    UnsubscribeTokenError,
    build_message,
    make_unsubscribe_token,
    read_unsubscribe_token,
    render_bodies,
    replace_unsubscribe_links,
    settings_url,
    subject_for,
    unsubscribe,
    unsubscribe_url,
)
from .periods import (
    FREQUENCIES,
    Period,
    parse_now,
    period_before,
    period_in_progress,
    periods_to_catch_up,
)

__all__ = [
    "BATCH_SIZE",
    "FREQUENCIES",
    "MAX_ITEMS",
    "UNSUBSCRIBE_KEY_SALT",
    "UNSUBSCRIBE_MAX_AGE",
    "UNSUBSCRIBE_SALT",
    "Digest",
    "DigestItem",
    "LedgerStatus",
    "Period",
    "PeriodActivity",
    "Recipient",
    "SendReport",
    "UnsubscribeTokenError",
    "build_message",
    "compose_batch",
    "compose_digest",
    "count_due",
    "make_unsubscribe_token",
    "parse_now",
    "period_before",
    "period_in_progress",
    "periods_to_catch_up",
    "read_unsubscribe_token",
    "render_bodies",
    "replace_unsubscribe_links",
    "send_all_due",
    "send_due",
    "settings_url",
    "subject_for",
    "unsubscribe",
    "unsubscribe_url",
]
