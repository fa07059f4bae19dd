"""Use cases for moderation on the forum's side: cases, the queue, decisions, sanctions, the
audit log, nudges and retraining. Callers use the names below (`review.approve(...)`).

* redaction   moderators remove personal details from any version of a post
* cases       verdicts and reports → at most one open case per post (`record`, `record_report`)
* attempts    texts screening blocked, kept for moderators (urgent lane); repeated-attempts flag
* queue       the moderators' queue and one case in full; whether screening works
* decisions   approve, reject, edit and approve, bulk, claim, release
* sanctions   warn, silence, suspend
* appeals     a member asks for another look at a decision, once; another moderator answers
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
from .appeals import (
    MemberDecision,
    appeal_for_case,
    appeal_for_sanction,
    appeal_post,
    appeal_sanction,
    get_appeal,
    member_decisions,
    open_appeal_count,
    open_appeals,
    post_decision,
    sanction_decision,
    who_may_decide,
)
from .appeals import decide as decide_appeal
from .attempts import (
    REPEATED_BLOCKS,
    REPEATED_BLOCKS_WINDOW,
    MemberRecord,
    clear_flag,
    close_attempt,
    get_attempt,
    member_record,
    open_attempt_count,
    open_attempts,
    record_blocked_attempt,
)
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
from .redaction import (
    REDACTED,
    Redaction,
    redact,
    redactable_post,
    scrub_post_records,
    versions_of,
)
from .redaction import preview as redaction_preview
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
    "REDACTED",
    "REPEATED_BLOCKS",
    "REPEATED_BLOCKS_WINDOW",
    "AgreementRow",
    "BulkResult",
    "LaneTimes",
    "MemberDecision",
    "MemberRecord",
    "NudgeStats",
    "Queue",
    "QueueEntry",
    "Redaction",
    "RescoreResult",
    "ScreeningHealth",
    "Template",
    "add_note",
    "agreement",
    "agreement_csv",
    "appeal_for_case",
    "appeal_for_sanction",
    "appeal_post",
    "appeal_sanction",
    "approve",
    "audit",
    "audit_log",
    "build_community_model",
    "bulk",
    "case_entry",
    "claim",
    "clear_flag",
    "close_attempt",
    "decide_appeal",
    "default_training_data",
    "edit_and_approve",
    "export_labels",
    "get_appeal",
    "get_attempt",
    "get_case",
    "lane_counts",
    "member_decisions",
    "member_record",
    "notes_for",
    "nudge_stats",
    "nudge_target",
    "on_call_moderators",
    "open_appeal_count",
    "open_appeals",
    "open_attempt_count",
    "open_attempts",
    "open_case_for",
    "open_cases",
    "post_decision",
    "queue",
    "reach_out",
    "recent_notices",
    "record",
    "record_blocked_attempt",
    "record_nudge",
    "record_report",
    "redact",
    "redactable_post",
    "redaction_preview",
    "reject",
    "rescore_held",
    "response_times",
    "sanction_decision",
    "save_template",
    "screening_health",
    "scrub_post_records",
    "set_on_call",
    "silence",
    "suspend",
    "templates",
    "unclaim",
    "versions_of",
    "warn",
    "weekly_totals",
    "who_may_decide",
]
