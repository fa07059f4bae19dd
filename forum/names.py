"""Usernames that could pass for the forum team: reserved words and look-alikes of staff names.

Someone who wants to frighten or fool a member here ("this is the moderator; send me your new
address") needs a name that looks official. Every new name (registration, `flask users create`,
the demo) is compared as a *skeleton*: Unicode compatibility forms folded (NFKC), look-alike
characters folded to one letter (I, l, 1, | and i; 0 and o; rn and m; vv and w; Cyrillic and
Greek letters that look Latin), case folded, and separators removed. A member's name is refused
when

* the whole skeleton, or any part between separators or at a camelCase or digit boundary, is a
  reserved word (``official_mod``, ``forum.support``, ``Adm1n``), or the skeleton is made only of
  reserved words (``officialmod``), or starts with a word of authority (``adminjoe``);
* its skeleton equals a staff member's, or is one edit (insert, delete, substitute) away from it
  (``mod_wiIlow``, ``rnod_willow``, ``mod-willow``, ``MOD_WILLOW``, ``mod_wi11ow`` when
  ``mod_willow`` is a moderator), for staff skeletons of at least STAFF_MIN_SKELETON letters.

Staff accounts (created from the command line) may use reserved words — they are the team — but
not a look-alike of another staff member. The refusal is the same kind sentence in every case,
so it never confirms who is staff.

A small mapping of our own rather than a library: usernames are ASCII already
(accounts.USERNAME_PATTERN), so the folding that matters is I/l/1, 0/o, rn/m and vv/w; the
Cyrillic and Greek table is here for names shown anywhere else later.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from .errors import InvalidInput
from .extensions import db
from .models import Role, User

TOO_CLOSE = (
    "That name is too close to a name reserved for the forum team. "
    "Please pick another — something that doesn't identify you offline is best."
)

RESERVED_WORDS = frozenset({
    "admin", "administrator", "administration", "moderator", "moderators", "moderation",
    "mod", "mods", "staff", "support", "official", "forum", "system", "sysop", "root",
    "webmaster", "postmaster", "noreply",
})
# A name that merely starts with one of these still reads as an office ("AdminJoe").
AUTHORITY_PREFIXES = frozenset({"admin", "moderator", "official", "sysop"})
# One edit away from a very short staff name would refuse half the alphabet.
STAFF_MIN_SKELETON = 4

_LOOK_ALIKES = {
    # Latin and digits that pass for one another.
    "I": "l", "i": "l", "1": "l", "|": "l", "!": "l", "í": "l", "ì": "l", "ï": "l",
    "0": "o", "5": "s", "$": "s", "@": "a",
    # Cyrillic letters that look Latin.
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "l", "ї": "l", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ӏ": "l", "һ": "h", "ո": "n", "ս": "u",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "Х": "x", "І": "l", "Ј": "j", "Ѕ": "s", "Ү": "y",
    # Greek letters that look Latin.
    "α": "a", "β": "b", "ε": "e", "ι": "l", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "l",
    "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
}
_PAIRS = (("rn", "m"), ("vv", "w"))
_SEPARATORS = re.compile(r"[\W_]+")
_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[^\W\d_]+|\d+")


def skeleton(name: str) -> str:
    """What a name looks like: compatibility forms, look-alikes and case folded, no separators."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(_LOOK_ALIKES.get(char, char) for char in text).casefold()
    text = "".join(_LOOK_ALIKES.get(char, char) for char in text)
    text = _SEPARATORS.sub("", text)
    for pair, single in _PAIRS:
        text = text.replace(pair, single)
    return text


_RESERVED_SKELETONS = frozenset(skeleton(word) for word in RESERVED_WORDS)
_AUTHORITY_SKELETONS = tuple(skeleton(word) for word in AUTHORITY_PREFIXES)


def _parts(name: str) -> list[str]:
    """The name's pieces: between separators, then at camelCase and letter/digit boundaries."""
    pieces = [piece for piece in _SEPARATORS.split(name) if piece]
    finer = [match.group() for piece in pieces for match in _PARTS.finditer(piece)]
    return [*pieces, *finer]


def _only_reserved_words(text: str) -> bool:
    """Whether ``text`` (a skeleton) is one or more reserved skeletons end to end."""
    if not text:
        return False
    reachable = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        reachable[end] = any(
            reachable[end - len(word)] and text[end - len(word):end] == word
            for word in _RESERVED_SKELETONS if len(word) <= end
        )
    return reachable[-1]


def looks_reserved(name: str) -> bool:
    whole = skeleton(name)
    if _only_reserved_words(whole) or whole.startswith(_AUTHORITY_SKELETONS):
        return True
    return any(skeleton(part) in _RESERVED_SKELETONS for part in _parts(name))


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance of at most 1, in linear time."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if len(a) == len(b):
                return a[index + 1:] == b[index + 1:]
            return a[index:] == b[index + 1:]
    return True  # b is a with one letter added at the end


def looks_like_staff(name: str, staff_names: list[str]) -> bool:
    mine = skeleton(name)
    for staff_name in staff_names:
        theirs = skeleton(staff_name)
        if mine == theirs or (len(theirs) >= STAFF_MIN_SKELETON and within_one_edit(mine, theirs)):
            return True
    return False


def _staff_names() -> list[str]:
    return list(db.session.scalars(
        select(User.username).where(User.role.in_([Role.MODERATOR.value, Role.ADMIN.value]))
    ))


def check_new_name(username: str, role: str) -> None:
    """Refuse a new account's name that could pass for the forum team (one kind sentence)."""
    is_staff = role in (Role.MODERATOR.value, Role.ADMIN.value)
    if (not is_staff and looks_reserved(username)) or looks_like_staff(username, _staff_names()):
        raise InvalidInput(TOO_CLOSE, field="username")
