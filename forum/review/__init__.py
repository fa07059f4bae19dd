"""Use cases for moderation on the forum's side: cases, the queue, decisions, sanctions, the
audit log, nudges and retraining. Callers use the names below (`review.approve(...)`).

* cases       verdicts and reports → at most one open case per post (`record`, `record_report`)
* queue       the moderators' queue and one case in full; whether screening works
* decisions   approve, reject, edit and approve, bulk, claim, release
* sanctions   warn, silence, suspend
* audit       the append-only audit log: writing an entry, reading the log
* notices     messages from the moderators to one member
* on_call     which moderators are alerted at once about urgent cases
* member_notes  private staff notes on members, shown on their cases
* outreach    crisis response templates (admins edit them) and private messages to authors
* response_times  how long cases wait for a first moderator action (7 and 30 days)
* agreement   how well screening agrees with moderators, per week and category
* nudges      nudges shown to authors, and what they did next
* retraining  re-screening held posts, moderator labels, building the community model

Each public function that changes something is one transaction (the recording helpers join
their caller's), and writes an audit entry for every step.
"""

from .agreement import AgreementRow, agreement, agreement_csv, weekly_totals
from .audit import AUDIT_VIEWS, audit, audit_log
from .cases import get_case, open_case_for, record, record_report
from .decisions import (
    HARMFUL_CATEGORIES,
    BulkResult,
    approve,
    bulk,
    claim,
    edit_and_approve,
    reject,
    unclaim,
)
from .member_notes import add_note, notes_for
from .notices import recent_notices
from .nudges import NudgeStats, nudge_stats, nudge_target, record_nudge
from .on_call import on_call_moderators, set_on_call
from .outreach import Template, reach_out, save_template, templates
from .queue import (
    LANES,
    Queue,
    QueueEntry,
    ScreeningHealth,
    case_entry,
    lane_counts,
    open_cases,
    queue,
    screening_health,
)
from .response_times import LaneTimes, response_times
from .retraining import (
    RescoreResult,
    build_community_model,
    default_training_data,
    export_labels,
    rescore_held,
)
from .sanctions import silence, suspend, warn

__all__ = [
    "AUDIT_VIEWS",
    "HARMFUL_CATEGORIES",
    "LANES",
    "AgreementRow",
    "BulkResult",
    "LaneTimes",
    "NudgeStats",
    "Queue",
    "QueueEntry",
    "RescoreResult",
    "ScreeningHealth",
    "Template",
    "add_note",
    "agreement",
    "agreement_csv",
    "approve",
    "audit",
    "audit_log",
    "build_community_model",
    "bulk",
    "case_entry",
    "claim",
    "default_training_data",
    "edit_and_approve",
    "export_labels",
    "get_case",
    "lane_counts",
    "notes_for",
    "nudge_stats",
    "nudge_target",
    "on_call_moderators",
    "open_case_for",
    "open_cases",
    "queue",
    "reach_out",
    "recent_notices",
    "record",
    "record_nudge",
    "record_report",
    "reject",
    "rescore_held",
    "response_times",
    "save_template",
    "screening_health",
    "set_on_call",
    "silence",
    "suspend",
    "templates",
    "unclaim",
    "warn",
    "weekly_totals",
]
