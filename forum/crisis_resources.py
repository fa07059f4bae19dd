"""Crisis lines by region: which helplines the forum shows, and where each member lives.

The table maps a region code to a label and its lines (name, contact, optional link). The
defaults below cover a handful of regions; `FORUM_CRISIS_RESOURCES_FILE` (JSON, or TOML when
the name ends in .toml) replaces them, checked at start-up. The `international` entry is
required: it is what everyone sees whose region is not set (and visitors).

A member's region (`users.crisis_region`) is private: it only changes what *they* see (the
page footer, the crisis box after a crisis post, a moderator's outreach message to them); it is
shown to nobody else and is in no answer about anyone else.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from .errors import InvalidInput
from .extensions import db
from .models import User

INTERNATIONAL = "international"
REGION_CODE = re.compile(r"^[a-z][a-z0-9-]{1,15}$")
# In an outreach message, this placeholder becomes the member's own region's lines when sent.
PLACEHOLDER = "{resources}"

_EMERGENCY = "If you are in immediate danger"
DEFAULT_TABLE: dict[str, dict[str, Any]] = {
    # Until a member chooses: a helpline finder for every country, and the two lines most of
    # this community can call.
    INTERNATIONAL: {"label": "Anywhere (international)", "lines": [
        {"name": "Find a helpline in your country", "contact": "findahelpline.com",
         "url": "https://findahelpline.com"},
        {"name": "988 Suicide & Crisis Lifeline (US and Canada)", "contact": "call or text 988"},
        {"name": "Samaritans (UK & Ireland)", "contact": "call 116 123"},
        {"name": _EMERGENCY, "contact": "call your local emergency number"},
    ]},
    "uk": {"label": "United Kingdom", "lines": [
        {"name": "Samaritans", "contact": "call 116 123, free, day or night",
         "url": "https://www.samaritans.org"},
        {"name": "Shout", "contact": "text SHOUT to 85258"},
        {"name": "National Domestic Abuse Helpline", "contact": "call 0808 2000 247"},
        {"name": _EMERGENCY, "contact": "call 999"},
    ]},
    "ie": {"label": "Ireland", "lines": [
        {"name": "Samaritans", "contact": "call 116 123", "url": "https://www.samaritans.org"},
        {"name": "Text About It", "contact": "text HELLO to 50808"},
        {"name": "Women's Aid", "contact": "call 1800 341 900"},
        {"name": _EMERGENCY, "contact": "call 112 or 999"},
    ]},
    "us": {"label": "United States", "lines": [
        {"name": "988 Suicide & Crisis Lifeline", "contact": "call or text 988",
         "url": "https://988lifeline.org"},
        {"name": "Crisis Text Line", "contact": "text HOME to 741741"},
        {"name": "National Domestic Violence Hotline",
         "contact": "call 1-800-799-7233 or text START to 88788"},
        {"name": _EMERGENCY, "contact": "call 911"},
    ]},
    "ca": {"label": "Canada", "lines": [
        {"name": "9-8-8 Suicide Crisis Helpline", "contact": "call or text 988",
         "url": "https://988.ca"},
        {"name": _EMERGENCY, "contact": "call 911"},
    ]},
    "au": {"label": "Australia", "lines": [
        {"name": "Lifeline", "contact": "call 13 11 14 or text 0477 13 11 14",
         "url": "https://www.lifeline.org.au"},
        {"name": "1800RESPECT (family and domestic violence)", "contact": "call 1800 737 732"},
        {"name": _EMERGENCY, "contact": "call 000"},
    ]},
}


@dataclass(frozen=True)
class Region:
    code: str
    label: str
    lines: tuple[dict[str, str], ...]


# --- the table: defaults, or a file checked at start-up ----------------------------------


def _text(value: object, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"{what} must be text of 1 to {limit} characters")
    return value.strip()


def check_table(data: object) -> dict[str, dict[str, Any]]:
    """The table in its one shape, or ValueError saying what is wrong with it."""
    if not isinstance(data, dict) or not data:
        raise ValueError("the crisis resources must map region codes to regions")
    table: dict[str, dict[str, Any]] = {}
    for code, region in data.items():
        if not isinstance(code, str) or not REGION_CODE.match(code):
            raise ValueError(f"region code {code!r}: 2-16 lower-case letters, digits or '-'")
        if not isinstance(region, dict) or not isinstance(region.get("lines"), list) \
                or not region["lines"]:
            raise ValueError(f"region {code!r} needs a label and a non-empty list of lines")
        lines = []
        for line in region["lines"]:
            if not isinstance(line, dict):
                raise ValueError(f"region {code!r}: each line has a name and a contact")
            checked = {"name": _text(line.get("name"), f"{code}: a line's name"),
                       "contact": _text(line.get("contact"), f"{code}: a line's contact")}
            if line.get("url") is not None:
                url = _text(line.get("url"), f"{code}: a line's url", 300)
                if not url.startswith(("https://", "http://")):
                    raise ValueError(f"{code}: a line's url must start with https://")
                checked["url"] = url
            lines.append(checked)
        table[code] = {"label": _text(region.get("label"), f"region {code!r}'s label", 80),
                       "lines": lines}
    if INTERNATIONAL not in table:
        raise ValueError(f"the crisis resources need an {INTERNATIONAL!r} region: the lines "
                         "shown when a member's region is not set")
    return table


def load_table(path: str | None) -> dict[str, dict[str, Any]]:
    """The defaults, or the file at ``path`` (JSON, or TOML for *.toml); ValueError if bad."""
    if not path:
        return DEFAULT_TABLE
    file = Path(path)
    try:
        raw = file.read_bytes()
        data = tomllib.loads(raw.decode()) if file.suffix == ".toml" else json.loads(raw)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    return check_table(data)


# --- what a member sees ----------------------------------------------------------------------


def _table() -> dict[str, dict[str, Any]]:
    return current_app.config["CRISIS_RESOURCES"]


def regions() -> list[tuple[str, str]]:
    """(code, label) of every region a member can choose, by label; international last."""
    table = _table()
    chosen = sorted(((code, r["label"]) for code, r in table.items() if code != INTERNATIONAL),
                    key=lambda pair: pair[1])
    return [*chosen, (INTERNATIONAL, table[INTERNATIONAL]["label"])]


def region_for(code: str | None) -> Region:
    """The lines for this region; for None or a region no longer configured, the default."""
    table = _table()
    key = code if code in table else INTERNATIONAL
    return Region(key, table[key]["label"], tuple(table[key]["lines"]))


def as_text(code: str | None) -> str:
    """The region's lines as plain text, one a line (for an outreach message)."""
    return "\n".join(f"{line['name']}: {line['contact']}" for line in region_for(code).lines)


def fill_placeholder(message: str, member: User) -> str:
    return message.replace(PLACEHOLDER, as_text(member.crisis_region))


def checked_region(code: object) -> str | None:
    """A configured region code, or None for "not set" (None or ""); InvalidInput otherwise."""
    if code in (None, ""):
        return None
    if isinstance(code, str) and code in _table():
        return code
    raise InvalidInput(f"Please choose one of the regions: {', '.join(sorted(_table()))} "
                       "(or none).", field="crisis_region")


def set_region(user: User, code: object) -> User:
    """The member's choice; None or "" clears it (the default list). One commit."""
    user.crisis_region = checked_region(code)
    db.session.commit()
    return user
