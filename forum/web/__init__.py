"""The pages: blueprints and what they share.

* auth         sign-up, sign-in, sign-out; the login manager          (blueprint `auth`)
* email_links  confirming an address, resetting a password            (blueprint `email_links`)
* board        index, categories, threads, writing, member safety     (blueprint `board`)
* thread_page  the thread page from cached post cards
* page_cache   whole pages kept for anonymous visitors (thread, front and category pages)
* settings     a member's settings page                                (blueprint `account`)
* moderator    the moderators' area at /mod                            (blueprint `moderator`)
* moderator_access  /mod/access: categories' visibility, members' trust (same blueprint)
* digest       the digest preview                                      (blueprint `digest`)
* unsubscribe  the one-click unsubscribe link from digest emails      (blueprint `unsubscribe`)
* notices      moderators' messages to a member, flashed on page views
* forms, helpers, redirects (the guard on `next`), filters (template filters and globals),
  headers (security headers, CSP), http_errors (domain and HTTP errors → pages or JSON)
"""

from __future__ import annotations

from flask import Flask

from . import (
    auth,
    board,
    digest,
    email_links,
    filters,
    headers,
    http_errors,
    moderator,
    moderator_access,
    notices,
    page_cache,
    settings,
    unsubscribe,
)


def register(app: Flask) -> None:
    assert moderator_access.bp is moderator.bp  # its routes are on the moderators' blueprint
    auth.configure_login(app)
    for blueprint in (auth.bp, email_links.bp, board.bp, settings.bp, unsubscribe.bp, digest.bp, moderator.bp):
        app.register_blueprint(blueprint)
    page_cache.register(app)
    notices.register(app)
    http_errors.register(app)
    filters.register(app)
    headers.register(app)
