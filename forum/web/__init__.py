"""The pages: blueprints and what they share.

* auth         sign-up, sign-in, sign-out; the login manager          (blueprint `auth`)
* email_links  confirming an address, resetting a password            (blueprint `email_links`)
* board        index, categories, threads, writing, member safety     (blueprint `board`)
* thread_page  the thread page from cached post cards
* page_cache   whole pages kept for anonymous visitors (thread, front and category pages)
* settings     a member's settings page                                (blueprint `account`)
* appeals      decisions about a member, asking for another look      (blueprint `appeals`)
* moderator    the moderators' area at /mod                            (blueprint `moderator`)
* moderator_access  /mod/access: categories' visibility, members' trust (same blueprint)
* moderator_appeals /mod/appeals/ID: answering an appeal                  (same blueprint)
* digest       the digest preview                                      (blueprint `digest`)
* unsubscribe  the one-click unsubscribe link from digest emails      (blueprint `unsubscribe`)
* notices      moderators' messages to a member, flashed on page views
* forms, helpers, redirects (the guard on `next`), filters (template filters and globals),
  headers (security headers, CSP), http_errors (domain and HTTP errors → pages or JSON)
"""

from __future__ import annotations

from flask import Flask

from . import (
    appeals,
    auth,
    board,
    digest,
    email_links,
    filters,
    headers,
    http_errors,
    moderator,
    moderator_access,
    moderator_appeals,
    notices,
    page_cache,
    settings,
    unsubscribe,
)


def register(app: Flask) -> None:
    # Their routes are on the moderators' blueprint.
    assert moderator_access.bp is moderator.bp and moderator_appeals.bp is moderator.bp
    auth.configure_login(app)
    for blueprint in (auth.bp, email_links.bp, board.bp, settings.bp, appeals.bp, unsubscribe.bp,
                      digest.bp, moderator.bp):
        app.register_blueprint(blueprint)
    page_cache.register(app)
    notices.register(app)
    http_errors.register(app)
    filters.register(app)
    headers.register(app)
