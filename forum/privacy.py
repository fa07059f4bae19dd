"""The privacy nudge: details in a writer's own text that could identify them or someone else.

Members here may be hiding from the people they left, and those people search. Before a post
goes up, `privacy_warnings(text)` gives one kind warning per kind of detail found — full names,
street addresses, phone numbers, email addresses, workplaces, schools, a town together with a
date — so the writer can take it out or post anyway. It never blocks and never echoes the
detail back (the warning names the kind of detail only).

Plain Python (no Flask), a pure function of the text. Linear time: every pattern is anchored on
a fixed token or has only bounded quantifiers with no two nested quantifiers over the same
characters, and names are found by one pass over the words. Precision and recall on the
labelled examples in tests/fixtures/privacy_examples.jsonl are printed by
tests/forum/test_privacy.py (README, "Visibility, trust and the privacy nudge").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FULL_NAME = "full_name"
STREET_ADDRESS = "street_address"
PHONE = "phone"
EMAIL = "email"
WORKPLACE = "workplace"
SCHOOL = "school"
PLACE_AND_DATE = "place_and_date"

# In the order the writer reads them. Kind, never the detail itself.
MESSAGES: dict[str, str] = {
    FULL_NAME: (
        "This seems to include someone's full name. A first name, an initial or \"my sister\" "
        "is much harder for anyone to search for."
    ),
    STREET_ADDRESS: (
        "This seems to include a street address or postcode, which could lead someone to a "
        "home. \"My street\" or the area in general words says the same more safely."
    ),
    PHONE: (
        "This seems to include a phone number. Anyone reading could call it or search for it."
    ),
    EMAIL: (
        "This seems to include an email address. Anyone reading could write to it or search "
        "for it."
    ),
    WORKPLACE: (
        "This seems to name where someone works. Someone looking for them could go there; "
        "\"a shop\" or \"my office\" keeps it general."
    ),
    SCHOOL: (
        "This seems to name a school, college or university. Someone looking for you or a "
        "child could find them there; \"my son's school\" keeps it general."
    ),
    PLACE_AND_DATE: (
        "This seems to name a town together with a date. Together they can point to you at an "
        "event someone else was at; the month, or \"a few weeks ago\", is safer."
    ),
}
KINDS: tuple[str, ...] = tuple(MESSAGES)

# Longest text screened; a post is at most 20,000 characters, this leaves room for titles.
MAX_CHARS = 200_000


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


# --- word lists -----------------------------------------------------------------------------

_DATA = Path(__file__).with_name("data") / "first_names.txt"


@cache
def first_names() -> frozenset[str]:
    """Common first names, lower-cased (forum/data/first_names.txt: source and licence)."""
    lines = _DATA.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTHS = _words(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
WEEKDAYS = _words(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thur Thurs "
    "Fri Sat Sun Mondays Tuesdays Wednesdays Thursdays Fridays Saturdays Sundays"
)
HOLIDAYS = _words(
    "Christmas Xmas Easter Eid Diwali Hanukkah Thanksgiving Halloween Ramadan Passover Lent "
    "Advent Boxing New Year Years Eve Day Days Mothers Fathers Mother's Father's Valentine's "
    "Valentines Mother’s Father’s Valentine’s"
)
# Names that are everyday words too: they count only in the middle of a sentence.
AMBIGUOUS_FIRST_NAMES = _words(
    "May June April August Hope Faith Joy Will Mark Bill Art Grace Dawn Christian Guy Rich Don "
    "Holly Rose Summer Angel Ray Drew Chase Hunter Carter Mason Parker Miles Lane Dale Glen "
    "Pearl Ruby Amber Crystal Jewel Iris Lily Daisy Violet Olive Ivy Hazel Heather Melody "
    "Destiny Harmony Precious Sunny Sherman Warren Wade Marshall Taylor Tyler Jack Frank "
    "Sterling Victor Young Lee Jesus Christ Pat Sue Rob Gene Jean Bob Fern Robin Jay Penny "
    "Sandy Misty Skye Dusty Rusty Star Autumn Winter Spring Norman Carol Carl Max Les"
)
# Capitalised words that are not surnames when they follow a first name.
NOT_SURNAMES = MONTHS | WEEKDAYS | HOLIDAYS | _words(
    "I I'm I've I'd I'll Im Ive A An The This That These Those And But Or So If When Then What "
    "Why How Who Where Which Yes No Not Thank Thanks Thankyou Sorry Please Hi Hello Hey Dear Love "
    "Hugs Oh OK Okay Ok Lol Ugh Also Just Still Even Today Tomorrow Yesterday Tonight Now Here "
    "There It It's Its My Your Our We You He She They Me Him Her Them Us His Their Mum Mom Dad "
    "Mother Father Mama Papa Grandma Grandpa Nan Nana Gran Granny Grandad Aunt Auntie Uncle "
    "Sister Brother Street St Road Rd Avenue Ave Lane Drive Close Way Crescent Court Place "
    "Square Terrace Gardens Grove Park School Academy College University Uni Hospital Church "
    "Chapel Centre Center Hall House Station Airport Mall Bank Clinic Surgery Library Council "
    "Group Services Service Foundation Trust Anonymous Therapy Project Team Club Society Street's "
    "God Lord Bible Jesus Christ Christian Catholic Muslim Jewish Buddhist Psalm Psalms "
    "Forum NC LC No Contact Low Narcissist Narcissists Abuser Abusers Flying Monkey Monkeys "
    "Grey Gray Rock Hoover Hoovering DARVO CPTSD PTSD BPD NPD ACON ACONs Day Night Morning "
    "Evening Week Weekend Month Year Again Always Never Every Some Any All Everyone Nobody "
    "Someone Everything Nothing Something Well Yeah Yep Nope Wow Bless Amen Happy Merry Good "
    "Bad Best Worst Big Little Old New First Last Next Other One Two Three Edit Update TW CW "
    "Book Books Podcast Chapter Part Dr Mr Mrs Ms Miss Saint Sr Jr Junior Senior Primary High "
    "Secondary Grammar Infant Infants Junior Middle Elementary Nursery Kindergarten Sixth Form "
    "English British American Irish Scottish Welsh Indian Polish Christmas Potter Lives Matter"
)
# People this community often cites (authors, clinicians, public figures): naming them is fine.
PUBLIC_NAMES = frozenset(
    name.lower() for name in (
        "Pete Walker", "Lundy Bancroft", "Susan Forward", "Lindsay Gibson", "Karyl McBride",
        "Judith Herman", "Alice Miller", "Gabor Maté", "Gabor Mate", "Ramani Durvasula",
        "Nedra Tawwab", "Nedra Glover", "Patrick Teahan", "Brené Brown", "Brene Brown",
        "Jonice Webb", "Shahida Arabi", "Richard Grannon", "Sam Vaknin", "Harriet Lerner",
        "Danu Morrigan", "John Bradshaw", "Pia Mellody", "Melanie Tonia", "Bessel van",
        "Harry Potter", "Peter Pan", "Martin Luther", "Taylor Swift", "Oprah Winfrey",
        "Beverly Engel", "Kathy Krajco", "Joshua Coleman", "Tina Swithin", "Stephanie Donaldson",
        "Stephanie Moulton", "Tara Westover", "Jennette McCurdy", "Prince Harry", "Michelle Obama",
        "Donald Trump", "Joe Biden", "Jordan Peterson", "Carl Jung", "Sigmund Freud",
        "Mary Oliver", "Maya Angelou", "Robin Williams", "Elton John", "Mister Rogers",
    )
)
# What follows a public figure's name: "Pete Walker's book", "a talk by ...".
_PUBLIC_CONTEXT_AFTER = re.compile(
    r"(?:'s|’s)?\s(?:book|books|podcast|podcasts|video|videos|channel|talk|talks|model|theory|"
    r"writing|workbook|quote|quotes|song|songs|album|interview|memoir)\b",
    re.IGNORECASE,
)
_PUBLIC_CONTEXT_BEFORE = re.compile(r"\b(?:by|author|authors|writer|psychologist|Dr\.?)\s$")

_TITLES = _words("Mr Mrs Ms Miss Mr. Mrs. Ms.")

# --- patterns (bounded, linear) -------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,6}"
    r"|\b\w{2,64}\s?(?:\(at\)|\[at\]|\sat\s)\s?(?:gmail|hotmail|yahoo|outlook|icloud|"
    r"protonmail|proton|aol|live|btinternet|me)\s?(?:\(dot\)|\[dot\]|\sdot\s|\.)\s?[a-z]{2,6}\b",
    re.IGNORECASE,
)
_PHONE_CANDIDATE = re.compile(r"(?<![\w+/.-])\+?\(?\d[\d ().-]{6,20}\d(?![\w/])")
_YEAR = re.compile(r"(?:19|20)\d\d")
_STREET_TYPES = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Crescent|Cres|Court|Ct|Place|"
    r"Pl|Boulevard|Blvd|Terrace|Gardens|Grove|Row|Square|Mews|Parade|Walk|Hill|Rise|View)"
)
_CAP_WORD = r"[A-Z][a-z'’]{1,20}"
_STREET = re.compile(
    # "14 Elm Street", "221b Baker St", "3, Oak Tree Close"
    rf"\b\d{{1,5}}[A-Za-z]?,?\s(?:{_CAP_WORD}\s){{1,3}}{_STREET_TYPES}\b"
    # "I live on Maple Avenue", "moved to Station Road"
    rf"|\b(?:live|lives|living|lived|moved|move|grew\sup|house|flat|home|apartment)\s"
    rf"(?:on|in|at|to|off)\s(?:{_CAP_WORD}\s){{1,3}}{_STREET_TYPES}\b"
    # "Flat 3", "Apt 4B"
    r"|\b(?:Flat|Apt|Apartment|Unit)\s\d{1,4}[A-Z]?\b"
    # UK postcodes ("LS6 2AB"); US ZIP codes after a state ("OH 43215")
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"
    r"|\b[A-Z]{2}\s\d{5}(?:-\d{4})?\b"
)
_PROPER = r"[A-Z][\w&'’.-]{0,30}(?:\s(?:[A-Z][\w&'’.-]{0,30}|of|and|&)){0,4}"
_WORKPLACE = re.compile(
    r"\b(?:work|works|worked|working|employed|job|shift|shifts|nurse|teacher|manager|doctor|"
    r"intern|volunteer|volunteers|volunteered|volunteering|cashier|receptionist|engineer|"
    r"boss|colleagues?)\s(?:at|for|in)\s(?:the\s)?"
    rf"(?P<org>{_PROPER})"
)
# "work at Christmas", "a job in March", "shifts at the weekend": times and people, not places.
_NOT_ORGANISATIONS = (NOT_SURNAMES - _words("St Saint Church Hospital Council Library Bank")) | _words(
    "Home Night Nights Weekends Midnight Dawn Lunch Lunchtime Work"
)
_SCHOOL_TYPES = (
    r"(?:School|Academy|College|University|Nursery|Primary|Secondary|Grammar|Infants|"
    r"Juniors|Sixth\sForm|Kindergarten|Preschool|Pre-School|Montessori)"
)
_SCHOOL = re.compile(
    # "Oakwood Primary", "St Mary's Catholic School", "Leeds Beckett University"
    rf"\b(?P<name>(?:{_CAP_WORD}\s){{1,4}}){_SCHOOL_TYPES}\b"
    # "University of Leeds", "College of Art"
    r"|\b(?:University|College|Academy)\sof\s[A-Z][a-z]{2,20}"
)
_SCHOOL_NOT_NAMES = _words(
    "The A My Our His Her Their Your Sunday Secondary Primary High Middle Junior Infant "
    "Elementary Grammar Catholic Local New Old Public Private State Boarding Medical Law Art "
    "Nursing Community Night Summer Bible Home Driving Dance Music Film Business Open Secret "
    "Graduate Grad Old Hogwarts Same This That Big Little Every Any No Went Go Goes Going "
    "At In To From After Before When Since Until Left Started Finished Hated Loved"
)
_MONTH_NAMES = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?{_MONTH_NAMES}\b"
    rf"|\b{_MONTH_NAMES}\s\d{{1,2}}(?:st|nd|rd|th)?\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})\b"
)
_PLACE = re.compile(r"\b(?:in|at|near|outside|to|from|around)\s(?:central\s)?(?P<place>[A-Z][a-z]{2,20})\b")
_PLACE_WINDOW = 60
_NOT_PLACES = NOT_SURNAMES | _words(
    "Court Hospital Therapy Church School Work Home Town City Uni College Tesco Asda Aldi Lidl "
    "Costa Starbucks Primark Facebook Instagram Twitter Reddit TikTok WhatsApp Messenger Zoom "
    "Person Private Public Group Family Court Court's Police Casualty Hogwarts"
)
# Overlapping pairs (a lookahead), so "If Diane Mercer" finds "Diane Mercer" after "If Diane".
_NAME_PAIR = re.compile(
    r"(?<![\w'’-])(?=(?P<first>[A-Z][a-zà-ɏ]{1,20}\.?)[ \t]{1,3}"
    r"(?:(?P<initial>[A-Z])\.?[ \t]{1,3})?(?P<surname>[A-Z][A-Za-zÀ-ɏ'’-]{1,30}))"
)
_SENTENCE_END = frozenset(".!?:;\n\"“”()")


def _strip_possessive(word: str) -> str:
    for suffix in ("'s", "’s", "'", "’"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _is_capitalised(word: str) -> bool:
    return len(word) >= 2 and word[0].isupper() and word[1:2].islower()


def _public_context(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 20):start]
    return bool(_PUBLIC_CONTEXT_AFTER.match(text, end) or _PUBLIC_CONTEXT_BEFORE.search(before))


def _sentence_starts_before(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (only spaces back to . ! ? : or a line)."""
    position = start - 1
    while position >= 0 and start - position <= 8 and text[position] in " \t":
        position -= 1
    return position < 0 or text[position] in _SENTENCE_END


def _names(text: str) -> list[Finding]:
    """Two capitalised words that look like a person's name: a known first name, then a word
    that could be a surname (an initial may stand between); or Mr/Mrs/Ms + a surname."""
    names = first_names()
    found: list[Finding] = []
    taken_until = -1
    for match in _NAME_PAIR.finditer(text):
        first, surname_word = match.group("first", "surname")
        start = match.start()
        if start < taken_until:
            continue
        titled = first in _TITLES
        if not titled and (first.lower() not in names or first in NOT_SURNAMES):
            continue
        surname = _strip_possessive(surname_word)
        if not _is_capitalised(surname) or surname in NOT_SURNAMES:
            continue
        if first in AMBIGUOUS_FIRST_NAMES and _sentence_starts_before(text, start):
            continue  # "Will Christmas ever feel normal", "Hope Street in my head"
        end = match.end("surname")
        if f"{first} {surname}".lower() in PUBLIC_NAMES or _public_context(text, start, end):
            continue  # "Pete Walker's book", "a book by Alice Miller"
        found.append(Finding(FULL_NAME, start, end))
        taken_until = end
    return found


def _phones(text: str) -> list[Finding]:
    found = []
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group()
        digits = sum(ch.isdigit() for ch in candidate)
        if not 9 <= digits <= 15:
            continue
        groups = re.findall(r"\d+", candidate)
        if all(len(group) == 4 and _YEAR.fullmatch(group) for group in groups):
            continue  # "2019 2020 2021": years, not a number to call
        found.append(Finding(PHONE, match.start(), match.end()))
    return found


def _workplaces(text: str) -> list[Finding]:
    found = []
    for match in _WORKPLACE.finditer(text):
        org = _strip_possessive(match.group("org").split()[0].rstrip(".,"))
        if org in _NOT_ORGANISATIONS:
            continue
        found.append(Finding(WORKPLACE, match.start(), match.end()))
    return found


def _schools(text: str) -> list[Finding]:
    found = []
    for match in _SCHOOL.finditer(text):
        name = match.group("name")
        if name is not None:
            words = [w for w in name.split() if w not in _SCHOOL_NOT_NAMES]
            if not words:
                continue  # "my Secondary School", "Sunday School": no school named
        found.append(Finding(SCHOOL, match.start(), match.end()))
    return found


def _places_with_dates(text: str) -> list[Finding]:
    """A town ("in Leeds") within a few words of a date ("on 3 March"), either side."""
    dates = [(m.start(), m.end()) for m in _DATE.finditer(text)]
    if not dates:
        return []
    places = [m.start() for m in _PLACE.finditer(text) if m.group("place") not in _NOT_PLACES]
    found = []
    for date_start, date_end in dates:
        nearest = bisect_left(places, date_start - _PLACE_WINDOW)
        if nearest < len(places) and places[nearest] <= date_end + _PLACE_WINDOW:
            found.append(Finding(PLACE_AND_DATE, min(places[nearest], date_start), date_end))
    return found


def find_details(text: str) -> list[Finding]:
    """Every identifying detail found in ``text``, in order of position."""
    if not isinstance(text, str) or not text:
        return []
    text = text[:MAX_CHARS]
    found = [Finding(EMAIL, m.start(), m.end()) for m in _EMAIL.finditer(text)]
    found += [Finding(STREET_ADDRESS, m.start(), m.end()) for m in _STREET.finditer(text)]
    found += _phones(text) + _workplaces(text) + _schools(text) + _places_with_dates(text)
    found += _names(text)
    return sorted(found, key=lambda finding: (finding.start, finding.kind))


def detail_kinds(text: str) -> list[str]:
    """The kinds of detail found, each once, in MESSAGES' order."""
    kinds = {finding.kind for finding in find_details(text)}
    return [kind for kind in KINDS if kind in kinds]


def privacy_warnings(text: str) -> list[str]:
    """Kind warnings for the writer, one per kind of detail found (empty when none)."""
    return [MESSAGES[kind] for kind in detail_kinds(text)]
