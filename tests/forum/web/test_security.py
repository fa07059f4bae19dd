"""Security of the pages: CSRF on every form, hostile markup rendered harmless, emails kept private."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Block, Post, Report, Support, Thread, User
from tests.support.api import api_token
from tests.support.factories import PASSWORD, make_reply, make_thread, make_user
from tests.support.web import csrf_token_in, login


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- CSRF ---------------------------------------------------------------------------------------


class TestCsrf:
    @pytest.fixture(autouse=True)
    def _csrf_on(self, app_config):
        app_config["WTF_CSRF_ENABLED"] = True

    def _signed_in(self, app, username="alice"):
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    def test_login_and_register_without_token_are_refused(self, app, client):
        make_user("alice")
        response = client.post("/login", data={"username": "alice", "password": PASSWORD})
        assert response.status_code == 400
        assert "This form expired or came from somewhere else" in text_of(response)
        assert "Sign out" not in text_of(client.get("/"))
        response = client.post("/register", data={
            "username": "sneaky", "email": "s@example.test", "password": PASSWORD,
            "confirm": PASSWORD,
        })
        assert response.status_code == 400
        assert db.session.scalar(select(User).where(User.username_key == "sneaky")) is None

    def test_a_token_from_the_page_works(self, app):
        make_user("alice")
        self._signed_in(app)  # asserts the redirect

    def test_every_member_form_refuses_a_missing_or_wrong_token(self, app):
        alice, bob = make_user("alice"), make_user("bob")
        outcome = make_thread(bob)
        client = self._signed_in(app)
        attempts = [
            ("/new", {"category": "low-contact", "title": "Forged", "body": "forged"}),
            (f"/t/{outcome.thread.id}/reply", {"body": "forged"}),
            (f"/p/{outcome.post.id}/support", {}),
            (f"/p/{outcome.post.id}/report", {"reason": "forged"}),
            ("/members/bob/block", {}),
            ("/account/settings/digest", {"digest-digest": "off"}),
            ("/account/settings/password", {
                "password-current_password": PASSWORD, "password-password": "forged password!",
                "password-confirm": "forged password!",
            }),
            ("/logout", {}),
        ]
        for url, data in attempts:
            for token in (None, "not-a-real-token"):
                sent = dict(data) if token is None else {**data, "csrf_token": token}
                response = client.post(url, data=sent)
                assert response.status_code == 400, url
        assert db.session.scalar(select(func.count()).select_from(Post)) == 1
        assert db.session.scalar(select(func.count()).select_from(Support)) == 0
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
        assert db.session.scalar(select(func.count()).select_from(Block)) == 0
        db.session.expire_all()
        assert db.session.get(User, alice.id).digest_frequency == "weekly"
        assert db.session.get(User, alice.id).check_password(PASSWORD)
        # Still signed in: the forged logout did nothing.
        assert client.get("/account/settings").status_code == 200

    def test_own_edit_and_delete_need_the_token(self, app):
        outcome = make_thread(make_user("alice"), body="original")
        client = self._signed_in(app)
        assert client.post(f"/p/{outcome.post.id}/edit", data={"body": "x"}).status_code == 400
        assert client.post(f"/p/{outcome.post.id}/delete").status_code == 400
        db.session.expire_all()
        post = db.session.get(Post, outcome.post.id)
        assert post.body_markdown == "original" and post.status == "published"
        # And with the page's token it goes through.
        token = csrf_token_in(text_of(client.get(f"/t/{outcome.thread.id}")))
        response = client.post(f"/p/{outcome.post.id}/delete", data={"csrf_token": token})
        assert response.status_code == 302


# --- XSS ----------------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">click me</a>",
    "<a href=\"  JaVaScRiPt:alert(1)\">spaced</a>",
    "[markdown link](javascript:alert(1))",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"vbscript:msgbox(1)\">vb</a>",
    "<div style=\"background:url(javascript:alert(1))\">styled</div>",
    "<style>body{display:none}</style>",
    "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<form action=\"https://evil.example\"><input name=x></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\">",
    "<details open ontoggle=alert(1)>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">ok link</a>",
    "`<script>in code</script>`",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]

FORBIDDEN_TAGS = {
    "iframe", "object", "embed", "svg", "math", "style", "img", "base", "frame", "frameset",
    "applet", "video", "audio", "source", "mglyph", "body",
}
BAD_URL = re.compile(r"^(javascript|vbscript|data):", re.I)


class PageAudit(HTMLParser):
    """Collects anything in a page that could run script or restyle it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.body_count = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body":
            self.body_count += 1
            if self.body_count > 1 or attrs:
                self.problems.append(f"extra <body {attrs}>")
            return
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "script" and attributes.get("src") != "/static/js/forum.js":
            self.problems.append(f"<script {attrs}>")
        if tag == "link" and not (attributes.get("href") or "").startswith("/static/"):
            self.problems.append(f"<link {attrs}>")
        if tag == "meta" and ("http-equiv" in attributes):
            self.problems.append(f"<meta {attrs}>")
        if tag == "form" and not (attributes.get("action") or "").startswith("/"):
            self.problems.append(f"<form {attrs}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag} {name}={value!r}")
            if name in {"href", "src", "action", "formaction", "data", "xlink:href"}:
                cleaned = re.sub(r"[\x00-\x20]+", "", value or "")
                if BAD_URL.match(cleaned):
                    self.problems.append(f"{tag} {name}={value!r}")


def audit(page: str) -> list[str]:
    parser = PageAudit()
    parser.feed(page)
    parser.close()
    return parser.problems


def test_xss_payloads_are_rendered_harmless_everywhere(app, client, app_config):
    app.config["WTF_CSRF_ENABLED"] = False
    author, reader = make_user("alice"), make_user("bob")
    threads = []
    for n, payload in enumerate(XSS_PAYLOADS):
        outcome = make_thread(author, title=f"T{n} {payload}"[:160], body=f"Body {n}: {payload}",
                              content_warning=f"CW {payload}"[:120])
        make_reply(reader, outcome.thread.id, f"Reply {n}: {payload}")
        threads.append(outcome)

    login(client, "bob")
    pages = ["/", "/c/going-no-contact", "/c/going-no-contact?page=2"]
    pages += [f"/t/{o.thread.id}" for o in threads]
    for path in pages:
        page = text_of(client.get(path))
        assert audit(page) == [], path
        assert page.count("<script") == 1  # only ours

    # The text is shown, escaped, rather than dropped: members can still read what was written.
    first = text_of(client.get(f"/t/{threads[0].thread.id}"))
    assert "T0 &lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in first

    # The author's own edit form shows their text escaped inside the textarea.
    client.post("/logout")
    login(client, "alice")
    for outcome in threads[:5]:
        page = text_of(client.get(f"/p/{outcome.post.id}/edit"))
        assert audit(page) == []
    assert db.session.scalar(select(func.count()).select_from(Thread)) == len(XSS_PAYLOADS)


def test_markdown_links_get_nofollow_noopener(app, client):
    outcome = make_thread(make_user(), body="See [this guide](https://example.org/guide).")
    page = text_of(client.get(f"/t/{outcome.thread.id}"))
    link = re.search(r'<a [^>]*href="https://example.org/guide"[^>]*>', page)
    assert link and 'rel="nofollow noopener"' in link.group(0)


def test_pages_carry_a_strict_content_security_policy(app, client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


# --- emails stay private ------------------------------------------------------------------------


def test_members_emails_never_appear_on_any_page(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    alice = make_user("alice")
    bob = make_user("bob")
    mod = make_user("mod_willow", role="moderator")
    outcome = make_thread(alice, content_warning="family")
    make_reply(bob, outcome.thread.id, "Thinking of you.")
    emails = [u.email for u in (alice, bob, mod)]
    local_parts = [e.split("@")[0] + "@" for e in emails]

    def check(page: str, where: str) -> None:
        lowered = page.lower()
        for email in emails + local_parts:
            assert email not in lowered, f"{email} shown on {where}"
        assert "@example.test" not in lowered, where

    public = ["/", "/c/going-no-contact", f"/t/{outcome.thread.id}", "/login", "/register",
              "/t/9999"]
    for path in public:
        check(text_of(client.get(path)), f"{path} (anonymous)")

    for member in ("alice", "bob", "mod_willow"):
        client.post("/logout")
        login(client, member)
        client.post(f"/p/{outcome.post.id}/support")
        client.post("/members/alice/block")
        for path in [*public, "/new", "/account/settings", "/blocked",
                     f"/p/{outcome.post.id}/edit"]:
            check(text_of(client.get(path)), f"{path} ({member})")

    # Registering with a known address answers like a new one and shows the address nowhere.
    client.post("/logout")
    response = client.post("/register", data={
        "username": "carol", "email": alice.email, "password": PASSWORD, "confirm": PASSWORD,
    })
    assert response.status_code == 302
    check(text_of(client.get(response.location)), "the page after registering")


@pytest.mark.both_databases
def test_signed_in_pages_and_every_api_answer_are_never_stored(app, client):
    member = make_user("cache_member")
    moderator = make_user("cache_mod", role="moderator")
    thread = make_thread(member).thread
    anonymous = app.test_client().get(f"/t/{thread.id}")
    assert anonymous.status_code == 200 and "no-store" not in anonymous.headers.get(
        "Cache-Control", "")
    login(client, member.username)
    for path in ("/", f"/t/{thread.id}", "/account/settings", "/blocked"):
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path
    staff = app.test_client()
    headers = api_token(staff, moderator.username)
    for path in ("/api/v1/moderation/queue", "/api/v1/me", "/api/v1/categories"):
        response = staff.get(path, headers=headers)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
