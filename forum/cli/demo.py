"""A small demo community for `make run`: a few members, one moderator, some conversations.

`flask --app wsgi demo load --if-empty` fills an empty database and does nothing otherwise.
Everything goes through the real use cases (accounts, posting), so the demo data looks exactly
like data members would create.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from .. import accounts, posting, review
from ..extensions import db
from ..models import Role, Thread, User, ensure_default_categories, utcnow
from ..screening import Screening

MODERATOR = ("mod_willow", "demo-moderator-pass")
MEMBERS = ("quiet_harbor", "fern_and_moss", "lantern_kid", "northwind_7", "sparrow_hawk",
           "grey_gull")
DEMO_MODEL = "demo (fixed verdicts)"
# The open cases the demo queue shows, each made through the real use cases with a fixed verdict
# (the demo must not depend on the model, which `make run` may still be building).
HELD_REPLY = ("Honestly, just call her. You only get one mother and you'll regret it at the "
              "funeral.")
CRISIS_TITLE = "I don't think I can keep going"
CRISIS_BODY = ("I've been giving my things away this week. My sister has the cat now. I don't "
               "think I'll be around much longer and I'm tired of being a burden to everyone.")
REPORTED_REPLY = "Sounds like you're the problem here, not her. Maybe look in the mirror first."
REPORT_REASON = "This blames her for what her mother did to her."
# The open appeal: a reply mod_willow declined, and its author's note asking for another look.
APPEALED_REPLY = ("My therapist said something that stuck: \"you don't owe anyone a relationship "
                  "that hurts you.\" Honestly, if they went back again, I'd still be here for them.")
APPEAL_DECISION = "It reads as shaming someone for going back."
APPEAL_NOTE = ("I was saying the opposite: that I'd support someone who went back. I think the "
               "words \"went back again\" made it look like shaming. Could someone look again?")
DEMO_VERDICTS = {
    HELD_REPLY: Screening(
        decision="hold", category="guilt_tripping",
        reasons=("guilt_tripping: community model guilt_tripping 0.93",),
        scores={"guilt_tripping": 0.93}, model_version=DEMO_MODEL),
    APPEALED_REPLY: Screening(
        decision="hold", category="nc_shaming",
        reasons=("rule nc_shaming.went_back matched 'went back again'",),
        scores={"nc_shaming": 0.71}, model_version=DEMO_MODEL),
    f"{CRISIS_TITLE}\n\n{CRISIS_BODY}": Screening(
        decision="publish", category="crisis", escalate=True,
        reasons=("crisis: community model crisis 0.97",), scores={"crisis": 0.97},
        model_version=DEMO_MODEL),
}

# (category, author, title, content warning, opening post, [(author, reply), ...], days ago)
THREADS: tuple[tuple[str, str, str, str | None, str, list[tuple[str, str]], int], ...] = (
    (
        "introductions", "quiet_harbor", "Hello from someone three weeks in", None,
        "Hi everyone. I've been reading here for months without an account, and today I finally "
        "made one.\n\nThree weeks ago I stopped answering my mother's calls. I haven't told "
        "anyone in real life yet except my partner. Most days I feel lighter, and then some "
        "evenings the guilt comes in like weather.\n\nI don't really have a question. I just "
        "wanted to say it somewhere it would be understood.",
        [
            ("fern_and_moss", "Welcome, quiet_harbor. Three weeks is real, and you got there "
             "yourself. The guilt-weather thing is so familiar — for me it came mostly in the "
             "evenings too. It did get less frequent, slowly."),
            ("mod_willow", "Welcome in. You don't need a question to post here; saying it out "
             "loud counts. If you'd like, the *Healing and self-care* category has a lot of "
             "people sharing what helps on the heavy evenings."),
            ("lantern_kid", "Glad you made the account. Reading here for months before posting "
             "is exactly what I did. Take your time."),
        ],
        9,
    ),
    (
        "going-no-contact", "lantern_kid", "Did you tell them you were going No Contact, or just stop?",
        None,
        "I keep going back and forth. Part of me wants to send one clear message so there's no "
        "confusion. Another part knows any message will be picked apart and answered with "
        "twenty more.\n\nFor those who've done it: did you explain, send a short note, or just "
        "quietly stop? What would you do differently?",
        [
            ("northwind_7", "I sent three sentences: I'm taking a break from contact, I won't be "
             "discussing the reasons, please don't contact me. Then I blocked the number. The "
             "replies came through relatives anyway, but I felt better having said it once."),
            ("sparrow_hawk", "I just stopped. I'd explained myself for fifteen years and it never "
             "once landed. There's no wrong answer here — it's whatever lets *you* sleep."),
            ("quiet_harbor", "This is really helpful to read. I think I'm a just-stop person but I "
             "hadn't admitted it to myself."),
        ],
        7,
    ),
    (
        "breaking-or-keeping-nc", "northwind_7", "I picked up the phone on her birthday. Now what?",
        None,
        "Eight months of No Contact and I answered on her birthday. It was fine for four minutes "
        "and then it wasn't. I feel like I've undone everything and I'm embarrassed to even post "
        "this.",
        [
            ("fern_and_moss", "You haven't undone eight months. You learned something in four "
             "minutes that took other people years to see. Be gentle with yourself tonight."),
            ("mod_willow", "No judgement here, truly — slips and returns are part of a lot of "
             "people's stories, which is why this category exists. You decide what the next step "
             "is, and there's no deadline."),
            ("lantern_kid", "Birthdays are brutal. Thank you for posting this; it helps those of "
             "us who worry about the same thing."),
        ],
        5,
    ),
    (
        "flying-monkeys", "sparrow_hawk", "My aunt keeps passing on \"messages\"",
        None,
        "Since I stopped talking to my father, my aunt sends me a text every week or so: he's "
        "not well, he misses you, life is short. I love my aunt and I don't think she means "
        "harm, but every message knocks me off balance for a day.\n\nHow do you handle the "
        "well-meaning ones?",
        [
            ("northwind_7", "What worked for me was one kind, boring sentence I repeat every time: "
             "\"Thanks, I know you care. I'm not discussing him.\" Then change the subject or end "
             "the chat. After a while she stopped."),
            ("quiet_harbor", "I don't have advice yet, but the \"off balance for a day\" part — "
             "yes. You're not overreacting."),
        ],
        4,
    ),
    (
        "healing-and-self-care", "fern_and_moss", "The letter I'll never send",
        "childhood emotional abuse, shouting, being locked out of the house",
        "My therapist suggested writing a letter I won't send. I'm sharing part of it because "
        "writing it here feels like putting it down somewhere safe.\n\n> You shouted until the "
        "windows shook, and then told everyone I was the difficult one. You locked me out in the "
        "cold and called it discipline. I believed for thirty years that I deserved it.\n\n"
        "I don't believe that any more. That's the whole letter, really. I didn't deserve it.",
        [
            ("sparrow_hawk", "You didn't deserve it. Thank you for trusting us with this."),
            ("lantern_kid", "\"I didn't deserve it\" is such a big thing to be able to write. I'm "
             "sending a lot of support."),
            ("mod_willow", "Thank you for putting a content warning on this — it lets people "
             "choose when they're ready to read. This is a brave post."),
        ],
        3,
    ),
    (
        "holidays-and-family-events", "quiet_harbor", "Planning my first holiday season without them",
        None,
        "The holidays are six weeks away and I'm already dreading the questions from coworkers "
        "and the empty days. What do you do instead? I'd love ideas, small or big.",
        [
            ("northwind_7", "I volunteer on the day itself. Being useful and around kind strangers "
             "helps more than I expected."),
            ("fern_and_moss", "We started our own tiny tradition: a long walk, takeaway, and a "
             "silly film. For coworkers, \"keeping it quiet this year\" is a full answer."),
            ("sparrow_hawk", "Seconding the ready-made answer for coworkers. And a plan for the "
             "hard hour — for me that's late afternoon — with a friend on call."),
        ],
        1,
    ),
)


def _backdate(outcome: posting.PostOutcome, when) -> None:
    outcome.post.created_at = when
    if outcome.post.published_at is not None:
        outcome.post.published_at = when
    if outcome.post.is_opening:
        outcome.thread.created_at = when
    outcome.thread.last_activity_at = max(outcome.thread.last_activity_at, when)


def load_demo() -> dict[str, int]:
    """Create the demo members and conversations. Returns counts for the summary line."""
    ensure_default_categories()
    db.session.commit()
    users: dict[str, User] = {}
    name, password = MODERATOR
    users[name] = accounts.create_user(
        name, f"{name}@demo.invalid", password, role=Role.MODERATOR.value, verified=True
    )
    for name in MEMBERS:
        # Demo members get random passwords nobody needs: sign in as the moderator to look around.
        users[name] = accounts.create_user(name, f"{name}@demo.invalid", secrets.token_urlsafe(18),
                                           verified=True)

    now = utcnow()
    posts = 0
    for category, author, title, warning, body, replies, days_ago in THREADS:
        started = now - timedelta(days=days_ago, hours=3)
        opening = posting.create_thread(
            users[author], category, title, body, content_warning=warning, acknowledge_nudge=True
        )
        opening.thread.last_activity_at = started
        _backdate(opening, started)
        posts += 1
        for step, (replier, text) in enumerate(replies, start=1):
            outcome = posting.reply(users[replier], opening.thread.id, text, acknowledge_nudge=True)
            _backdate(outcome, started + timedelta(hours=2 * step))
            posts += 1
        db.session.commit()
    return {"members": len(users), "threads": len(THREADS), "posts": posts}


class _DemoScreener:
    """Fixed verdicts for the demo's case texts; everything else passes."""

    def screen(self, items):
        return [DEMO_VERDICTS.get(item.text, Screening(decision="publish", model_version=DEMO_MODEL))
                for item in items]


def load_demo_cases(users: dict[str, User]) -> int:
    """A held reply, an urgent crisis thread, a reported reply and an appeal of a declined reply,
    so the queue shows its lanes. Returns the open cases (the appeal is not a case)."""
    thread_id = db.session.scalar(
        select(Thread.id).where(Thread.title == THREADS[1][2])
    )
    posting.reply(users["grey_gull"], thread_id, HELD_REPLY, acknowledge_nudge=True)
    posting.create_thread(users["sparrow_hawk"], "going-no-contact", CRISIS_TITLE, CRISIS_BODY)
    reported = posting.reply(users["grey_gull"], thread_id, REPORTED_REPLY).post
    posting.report_post(users["lantern_kid"], reported.id, REPORT_REASON)
    declined = posting.reply(users["northwind_7"], thread_id, APPEALED_REPLY,
                             acknowledge_nudge=True).post
    review.reject(users[MODERATOR[0]], review.open_case_for(declined.id).id, APPEAL_DECISION)
    review.appeal_post(users["northwind_7"], declined.id, APPEAL_NOTE)
    return sum(review.lane_counts()[lane] for lane in ("held", "urgent", "reported"))


demo_group = AppGroup("demo", help="The demo community shown by `make run`.")


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when any member already exists.")
def load_command(if_empty: bool) -> None:
    """Load a few members, a moderator and some conversations."""
    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            click.echo("The database already has members; leaving it as it is.")
            return
        raise click.ClickException(
            "The database already has members. Use --if-empty to skip, or start from an empty one."
        )
    # The demo text is written by the team; screening it would only load the models early.
    previous = current_app.config.get("MODERATION_SCREENING")
    current_app.config["MODERATION_SCREENING"] = "off"
    try:
        counts = load_demo()
        # The open cases go through screening, with the demo's fixed verdicts.
        current_app.config["MODERATION_SCREENING"] = "pipeline"
        current_app.extensions["moderation_pipeline"] = _DemoScreener()
        users = {u.username: u for u in db.session.scalars(select(User))}
        counts["cases"] = load_demo_cases(users)
    finally:
        current_app.config["MODERATION_SCREENING"] = previous
        current_app.extensions.pop("moderation_pipeline", None)
    click.echo(
        f"Loaded the demo community: {counts['members']} members, {counts['threads']} threads, "
        f"{counts['posts']} posts, {counts['cases']} open cases in the moderators' queue and "
        f"{review.open_appeal_count()} open appeal."
    )
    click.echo(f"Demo moderator: username '{MODERATOR[0]}', password '{MODERATOR[1]}'")
