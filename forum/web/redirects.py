"""The redirect guard: where a page may send a member back to after a form or sign-in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Paths inside the moderators' area, for its own "back to where I was" links.
MOD_PATH = re.compile(r"^/mod(/[A-Za-z0-9/_-]*)?(\?[A-Za-z0-9=&_%-]*)?$")


def safe_next_url(target: str | None, default: str) -> str:
    """Only same-site relative paths ("/t/3?page=2"); anything else falls back to `default`.

    Rejects absolute and scheme-relative URLs ("https://x", "//x"), backslash tricks ("/\\x")
    and control characters, which browsers may "repair" into another host.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def safe_mod_path(target: str | None, default: str) -> str:
    """A path inside /mod (the moderators' pages return only there), or `default`."""
    return target if target and MOD_PATH.match(target) else default
