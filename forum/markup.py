"""Markdown → sanitised HTML. The only module that imports bleach."""

from __future__ import annotations

import html as html_lib
import re
import threading
from functools import partial

import bleach
import markdown
from bleach.linkifier import DEFAULT_CALLBACKS, LinkifyFilter

ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "strong", "em", "b", "i", "del", "s", "blockquote", "code", "pre",
     "ul", "ol", "li", "a", "h3", "h4", "h5", "h6"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _link_rel(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


# A bleach Cleaner keeps parser state between calls, so threads must not share one (with
# gunicorn's threaded workers a shared one failed under load: IndexError inside html5lib).
_per_thread = threading.local()


def _cleaner() -> bleach.Cleaner:
    cleaner = getattr(_per_thread, "cleaner", None)
    if cleaner is None:
        cleaner = _per_thread.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[partial(LinkifyFilter, callbacks=[*DEFAULT_CALLBACKS, _link_rel],
                             skip_tags={"pre", "code"})],
        )
    return cleaner


def render_markdown(text: str) -> str:
    """Render a member's Markdown to HTML that is safe to put on a page as is.

    Raw HTML in the source is escaped by Markdown's own escaping being bypassed, so bleach is
    the gate: anything outside the allowlist is stripped, every link gets rel=nofollow noopener.
    """
    # Headings inside posts shout; demote "# x" to h3 and deeper.
    html = markdown.markdown(text, extensions=["fenced_code", "sane_lists", "nl2br"], output_format="html")
    html = re.sub(r"<(/?)h([12])>", r"<\1h3>", html)
    return _cleaner().clean(html)


def plain_excerpt(html: str, limit: int = 240) -> str:
    """A short plain-text excerpt of sanitised HTML (for listings and emails)."""
    text = bleach.clean(html, tags=set(), strip=True)
    text = re.sub(r"\s+", " ", text).strip()
    text = html_lib.unescape(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
