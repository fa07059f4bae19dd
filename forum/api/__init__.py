"""The JSON API under /api/v1: the members' endpoints and the moderators' endpoints.

* auth        the one bearer-token parser and the decorators every view uses
* schemas     request bodies checked strictly; models as JSON
* members     /api/v1: tokens, categories, threads, posts, reports, blocks, settings
* moderation  /api/v1/moderation: the queue and decisions on cases
"""

from __future__ import annotations

from flask import Flask

from . import members, moderation


def register(app: Flask) -> None:
    app.register_blueprint(members.bp)
    app.register_blueprint(moderation.bp)
