"""The thread page, assembled from cached parts; visitors' pages cached whole.

Profiled, a 50-post page spent most of its time in Jinja (the post loop with its forms, macros
and `url_for` calls, 50 times over) and in loading posts as ORM objects. Now:

* one column-level query finds the posts the viewer may see on the page (forum/thread_reading.py:
  ids, versions, authors, "you supported this", and the total for the pagination);
* each post's card is rendered once per (post id, version, kind of viewer) from
  templates/board/_post_card.html and kept in the worker's RenderCache. The version is raised by
  the database on every change to the post, so an edit, a moderator's decision, a redaction, a
  purge or a new support count makes a new key: nothing is ever served stale and nothing has to
  be invalidated. Only posts without a cached card are read whole;
* nothing personal is in a cached card: the CSRF token and the page's own address are slots
  filled for each request; "you supported this", own posts, staff and read-only viewers are
  parts of the key; blocked members' and held posts are left out by the query before any
  cache is looked at, so the rules of forum/reading.py decide what is shown, as before;
* a visitor's whole page is kept too (forum/web/page_cache.py), keyed by its address and the
  thread's heading, which carries the state of all the thread's posts (count, summed versions,
  newest id): one query a page; it is answered with an ETag (304 when the reader has it);
* a member's page frame (menu, reply form, pagination) is kept under their id and all it
  shows, with the CSRF token a slot. Signed-in pages stay `no-store` (forum/web/headers.py).
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import preferences, thread_reading
from ..boundary import id_arg
from ..models import User
from .forms import ReplyForm
from .helpers import viewer as current_viewer
from .page_cache import CSRF_SLOT, kept_page, member_frame_key, plain_get, render_cache

# Slots in cached cards, filled for each request (as page_cache.CSRF_SLOT: a NUL can't be in
# anything stored, so no post text can fake one).
HERE_SLOT = "\x00here\x00"
BODY_SLOT = "\x00body\x00"
CARDS_SLOT = "\x00cards\x00"
CARD_TEMPLATE = "board/_post_card.html"


def _viewer_kind(viewer: User | None, author_id: int) -> str:
    if viewer is None:
        return "anonymous"
    return "author" if author_id == viewer.id else "reader"


def _without_indentation(html: str) -> str:
    """The template's own indentation and blank lines, gone (a third of a card's bytes). Only
    for template output: a post's body goes in afterwards, so its <pre> blocks stay intact."""
    return "\n".join(line.strip() for line in html.splitlines() if line.strip())


def _render_card(template, card: thread_reading.PostCard, **context) -> str:
    html = _without_indentation(template.render(post=card, body=BODY_SLOT, **context))
    return html.replace(BODY_SLOT, card.body_html)


def _cards(viewer: User | None, head: thread_reading.ThreadHead,
           stubs: thread_reading.StubPage, can_reply: bool) -> str:
    """The page's posts as HTML, from the cache where it can, with this request's slots filled."""
    cache = render_cache()
    staff = viewer is not None and viewer.is_staff

    # What every card on this page is rendered with, besides the post and the viewer's kind.
    common = (staff, can_reply, stubs.page, head.id, head.content_warning)

    def key(post_id: int, version: int, author_id: int, supported: bool) -> tuple:
        return ("post-card", post_id, version, _viewer_kind(viewer, author_id), supported, common)

    found = {stub.id: cache.get(key(stub.id, stub.version, stub.author_id, bool(stub.supported)))
             for stub in stubs.items}
    missing = [post_id for post_id, html in found.items() if html is None]
    if missing:
        template = current_app.jinja_env.get_template(CARD_TEMPLATE)
        supported = {stub.id: bool(stub.supported) for stub in stubs.items}
        for card in thread_reading.post_cards(viewer, head.id, missing).values():
            html = _render_card(
                template, card, viewer=_viewer_kind(viewer, card.author_id),
                viewer_is_staff=staff, can_reply=can_reply, supported=supported[card.id],
                page=stubs.page, thread_id=head.id, content_warning=head.content_warning,
                csrf=CSRF_SLOT, here=HERE_SLOT,
            )
            found[card.id] = html
            cache.put(key(card.id, card.version, card.author_id, supported[card.id]), html)
    # A post that stopped being visible between the two reads is left out (never shown).
    html = "".join(part for part in found.values() if part is not None)
    if viewer is None:
        return html
    return html.replace(HERE_SLOT, str(escape(request.full_path.rstrip("?"))))


def _reply_to_name(viewer: User | None, head, stubs, can_reply: bool) -> str | None:
    reply_to = id_arg("reply_to")
    if not can_reply or reply_to is None or reply_to not in {stub.id for stub in stubs.items}:
        return None
    card = thread_reading.post_cards(viewer, head.id, [reply_to]).get(reply_to)
    return card.author_name if card is not None else None


def _shell_key(viewer: User, head, stubs, can_reply: bool) -> tuple:
    """Everything a member's page around the posts is rendered from (templates/base.html and
    board/thread.html): who they are, what they may do, the address, the heading, the pages."""
    reply_to = id_arg("reply_to")
    return ("thread-shell", *member_frame_key(viewer), viewer.is_silenced(), can_reply, request.full_path, head, stubs.page,
            stubs.pages, reply_to in {stub.id for stub in stubs.items})


def _render_page(viewer, head, stubs, can_reply, cards: str, reply_form, nudge) -> str:
    if reply_form is None and can_reply:  # (a form puts a CSRF token in the session)
        reply_form = ReplyForm(formdata=None)
        reply_to = id_arg("reply_to")
        if reply_to:
            reply_form.parent_id.data = str(reply_to)
    return render_template(
        "board/thread.html",
        thread=head,
        posts=stubs,
        # Cards come from Jinja with autoescaping; slots are filled escaped.
        cards=Markup(cards),  # noqa: S704
        reply_form=reply_form,
        can_reply=can_reply,
        reply_to_name=_reply_to_name(viewer, head, stubs, can_reply),
        nudge=nudge,
    )


def _stubs(viewer: User | None, head, page: int | str) -> thread_reading.StubPage:
    per_page = current_app.config["POSTS_PER_PAGE"]
    if page == "last":
        page = thread_reading.last_page(viewer, head.id, per_page)
    return thread_reading.post_stubs(viewer, head.id, int(page), per_page)


def thread_page(thread_id: int, page: int | str, reply_form: ReplyForm | None = None,
                nudge: dict | None = None, status: int = 200):
    """The answer for /t/ID (page a number or "last"); also the reply form's page on errors."""
    viewer = current_viewer()
    head = thread_reading.thread_head(viewer, thread_id)
    if viewer is None and nudge is None and reply_form is None:
        # A visitor's page shows the thread and its posts only: kept under the address and
        # the heading, which carries the state of all the thread's posts (one query a page).
        def render() -> str:
            stubs = _stubs(None, head, page)
            return _render_page(None, head, stubs, False, _cards(None, head, stubs, False),
                                None, None)

        return kept_page(("thread-page", request.full_path, head), render)

    stubs = _stubs(viewer, head, page)
    cache = render_cache()
    can_reply = preferences.may_reply(viewer, None)
    cards = _cards(viewer, head, stubs, can_reply)
    if viewer is None or not (plain_get() and nudge is None and reply_form is None):
        html = _render_page(viewer, head, stubs, can_reply, cards, reply_form, nudge)
        return (html if viewer is None else _fill_csrf(html)), status

    # A member's page: the part around the posts is theirs alone, kept by their id and all it
    # shows; the CSRF token is a slot here too.
    token = generate_csrf()
    shell_key = _shell_key(viewer, head, stubs, can_reply)
    shell = cache.get(shell_key)
    if shell is None:
        html = _render_page(viewer, head, stubs, can_reply, CARDS_SLOT, None, None)
        shell = tuple(html.replace(token, CSRF_SLOT).split(CARDS_SLOT))
        cache.put(shell_key, shell, size=len(html))
    before, after = shell
    return "".join((before, cards, after)).replace(CSRF_SLOT, str(escape(token))), status


def _fill_csrf(html: str) -> str:
    return html.replace(CSRF_SLOT, str(escape(generate_csrf())))
