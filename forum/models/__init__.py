"""Database models (SQLAlchemy 2, typed). Models never commit: use cases own the transaction.

One module per area, all imported here so that `from forum.models import X` finds any model and
every importer (create_all, Alembic) sees every table:

* base        UTC timestamps (`utcnow`, `UTCDateTime`) and the shared enums
* accounts    one-use email links (verify, reset) and server-side sign-ins
* community   members, categories, threads, posts, revisions, support, blocks, mutes, tokens,
              reports
* moderation  screenings, cases, the append-only audit log, sanctions, notices, nudges
* digest      the digest delivery ledger
* alerts      the on-call alert outbox
* appeals     members' appeals against moderators' decisions (one per decision)
* defaults    the standing categories every forum starts with
"""

from .accounts import EmailToken, EmailTokenPurpose, SignIn
from .alerts import AlertOutbox
from .appeals import APPEALS_LANE, Appeal, AppealKind, AppealStatus
from .base import (
    CategoryVisibility,
    DigestFrequency,
    PostStatus,
    Role,
    TrustLevel,
    UTCDateTime,
    utcnow,
)
from .community import (
    ApiToken,
    Block,
    Category,
    CategoryMute,
    Post,
    PostRevision,
    Report,
    Support,
    Thread,
    User,
)
from .defaults import DEFAULT_CATEGORIES, ensure_default_categories
from .digest import DigestDelivery
from .moderation import (
    LANE_ORDER,
    AuditEntry,
    AuditLogIsAppendOnly,
    BlockedAttempt,
    CaseStatus,
    Lane,
    MemberNote,
    ModerationCase,
    Notice,
    NudgeEvent,
    PostScreening,
    ResponseTemplate,
    Sanction,
    SanctionKind,
)

__all__ = [
    "APPEALS_LANE",
    "DEFAULT_CATEGORIES",
    "LANE_ORDER",
    "AlertOutbox",
    "ApiToken",
    "Appeal",
    "AppealKind",
    "AppealStatus",
    "AuditEntry",
    "AuditLogIsAppendOnly",
    "Block",
    "BlockedAttempt",
    "CaseStatus",
    "Category",
    "CategoryMute",
    "CategoryVisibility",
    "DigestDelivery",
    "DigestFrequency",
    "EmailToken",
    "EmailTokenPurpose",
    "Lane",
    "MemberNote",
    "ModerationCase",
    "Notice",
    "NudgeEvent",
    "Post",
    "PostRevision",
    "PostScreening",
    "PostStatus",
    "Report",
    "ResponseTemplate",
    "Role",
    "Sanction",
    "SanctionKind",
    "SignIn",
    "Support",
    "Thread",
    "TrustLevel",
    "UTCDateTime",
    "User",
    "ensure_default_categories",
    "utcnow",
]
