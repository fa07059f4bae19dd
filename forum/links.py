"""Absolute links for mail (digests, alerts): FORUM_BASE_URL plus the app's own routes.

Built from the URL map, so a link in an email always matches a route that exists; works outside
a request (the digest runs from the command line).
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def path_for(endpoint: str, **values: Any) -> str:
    return current_app.url_map.bind("forum.invalid").build(endpoint, values)


def site_url(endpoint: str, **values: Any) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path_for(endpoint, **values)}"
