"""Turn a post into plain text and keep the writer's own words apart from what they quote.

People in No Contact spaces constantly recount what was said to them ("she called me a
worthless bitch", "> you'll regret this when I'm dead"). Those words belong to the abuser,
not the writer, so rules and the general toxicity model look only at ``own_text``; the
quoted material is kept in ``quoted`` for moderators and for the community model, which
sees the whole post (it was trained on whole posts, quotes included).

Everything here is linear-time regex and ``html.parser`` work: a 100 KB post takes
milliseconds.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

MAX_QUOTE_CHARS = 600  # a "quotation" longer than this is more likely a stray quote mark
SCARE_QUOTE_MAX_WORDS = 3  # 'gaslit', "abuse": short, unattributed quotes stay in own text
MAX_REPORTED_CHARS = 400  # reported speech ("she said ...") ends within this many characters
QUOTE_PLACEHOLDER = "[quote]"

# ---------------------------------------------------------------------------
# plain text


_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
        *("hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
    }
)
_SKIP_TAGS = frozenset({"script", "style", "template", "head", "title", "noscript"})
_TAG_HINT = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>|&[#a-zA-Z0-9]{1,10};")


class _TextExtractor(HTMLParser):
    """Collects text, one line per block element; ``<blockquote>`` lines get a ``> `` prefix."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.quote_depth = 0
        self.at_line_start = True

    def _newline(self) -> None:
        self.parts.append("\n")
        self.at_line_start = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self._newline()
            if tag == "blockquote":
                self.quote_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.quote_depth:
            lines = data.split("\n")
            out = []
            for index, line in enumerate(lines):
                if index:
                    out.append("\n")
                    self.at_line_start = True
                if line.strip():
                    if self.at_line_start:
                        out.append("> ")
                    out.append(line)
                    self.at_line_start = False
            self.parts.append("".join(out))
        else:
            self.parts.append(data)
            if data.strip():
                self.at_line_start = data.endswith("\n")


def strip_html(raw: str) -> str:
    """Text content of an HTML fragment (entities unescaped, scripts/styles dropped)."""
    if not _TAG_HINT.search(raw):
        return raw
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    return "".join(parser.parts)


_MD_LINK = re.compile(r"!?\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3}|~~)(?=\S)([^\n]{1,1000}?)(?<=\S)\1")
_MD_CODE_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*$", re.MULTILINE)
_MD_INLINE_CODE = re.compile(r"`([^`\n]{1,1000})`")
_MD_LIST_MARK = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+", re.MULTILINE)
_MD_QUOTE_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)


def strip_markdown(text: str) -> str:
    """Remove Markdown syntax but keep ``>`` quote markers (normalised to ``> ``)."""
    text = _MD_CODE_FENCE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_RULE.sub("", text)
    text = _MD_QUOTE_MARK.sub("> ", text)
    text = _MD_LIST_MARK.sub("", text)
    text = _MD_INLINE_CODE.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)


# Characters that change nothing a reader sees but can hide words from a pattern.
_INVISIBLE = dict.fromkeys([0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E, 0x034F], None)
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": " - ",
        "\u2212": "-",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# A run of punctuation or symbols says no more after a few characters ("!!!!!!!!" is "!!!!"):
# cutting long runs keeps hostile input (100 KB of "*_~") from costing every later step.
_SYMBOL_RUN = re.compile(r"(?:[^\w\s]|_){5,}")
SYMBOL_RUN_KEPT = 4
# Leetspeak inside a word ("k1ll", "n4rc1ss1st", "st0p"): digits and symbols between letters
# read as the letters they stand for. Numbers standing alone ("day 50", "2024") are untouched.
_LEET_INSIDE_WORD = re.compile(r"(?<=[A-Za-z])[013457$]+(?=[A-Za-z])")
_LEET_LETTERS = str.maketrans("013457$", "oieasts")


def decode(raw: str | bytes | bytearray | None) -> str:
    """A ``str`` from whatever arrived; invalid UTF-8 becomes U+FFFD, never an exception."""
    if raw is None:
        return ""
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        return str(raw)
    # Lone surrogates (e.g. from json.loads of "\ud800") cannot be encoded later on.
    return raw.encode("utf-8", errors="replace").decode("utf-8", errors="replace")


# Cyrillic/Greek letters that look Latin. Only applied inside words that mix scripts
# ("kіll" with a Cyrillic i), which is how filters are dodged; real Russian or Greek words
# are left alone.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡһӏАВЕКМНОРСТХІЈЅοαεικνρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdghlABEKMHOPCTXIJSoaeikvptuxABEZHIKMNOPTYX",
)
_WORD = re.compile(r"\w+")
_LATIN_LETTER = re.compile(r"[a-zA-Z]")
_GREEK_OR_CYRILLIC = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _LATIN_LETTER.search(word) and _GREEK_OR_CYRILLIC.search(word):
        return word.translate(_CONFUSABLES)
    return word


def _fold_mixed_scripts(text: str) -> str:
    # One pass over the words, then two plain scans per word: linear in the text's length
    # (a single pattern with a script on each side of \w* backtracks quadratically or worse).
    if not _GREEK_OR_CYRILLIC.search(text):
        return text
    return _WORD.sub(_fold_word, text)


def normalize(text: str) -> str:
    """NFKC, straight quotes, no invisible/control characters, single spaces, trimmed lines."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_INVISIBLE).translate(_TYPOGRAPHY)
    text = _fold_mixed_scripts(text)
    text = _SYMBOL_RUN.sub(lambda m: m.group(0)[:SYMBOL_RUN_KEPT], text)
    text = _LEET_INSIDE_WORD.sub(lambda m: m.group(0).translate(_LEET_LETTERS), text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def to_plain_text(raw: str | bytes | bytearray | None) -> str:
    """Plain, normalised text from raw input that may be bytes, HTML or Markdown."""
    text = decode(raw)
    text = html.unescape(strip_html(text)) if _TAG_HINT.search(text) else text
    return normalize(strip_markdown(unicodedata.normalize("NFKC", text)))


# ---------------------------------------------------------------------------
# own words vs quoted material


@dataclass(frozen=True)
class Span:
    """A piece of quoted material inside the plain text: ``plain[start:end] == text``."""

    start: int
    end: int
    text: str
    kind: str  # "blockquote" | "quotation" | "reported"


@dataclass(frozen=True)
class ParsedText:
    plain: str
    own_text: str
    quoted: tuple[Span, ...]

    @property
    def is_empty(self) -> bool:
        return not self.plain.strip()

    @property
    def quoted_text(self) -> str:
        return "\n".join(span.text for span in self.quoted)


# Who can be reported: pronouns, family and other people ("my mother", "her husband", "Mum").
_SPEAKER = (
    r"(?:he|she|they|it|we|people|everyone|everybody|someone|somebody|anyone|nobody|others"
    r"|(?:my|his|her|their|our|your|the|a|an|this|that)(?:\s+[\w-]+){1,3}"
    r"|(?-i:(?!You\b|Your\b|I\b|That\b|This\b|What\b)[A-Z][a-z]+)"
    r"|mom|mum|mother|dad|father|mommy|mummy|daddy|ma|pa|grandma|grandpa|nana"
    # "I" reports only when speaking to someone or quoting: "I told her ...", "I said: ..."
    r"|i(?=\s+(?:told|said|asked|wrote|texted|replied|yelled|screamed|answered)"
    r"\s*(?:[:\"']|to\s+(?:him|her|them)\b|(?:him|her|them|my\s+\w+)\b)))"
)
# Bare present "say"/"tell"/"call" is left out on purpose: "they say you only get one
# mother" usually endorses the saying rather than reporting someone.
_SPEECH_VERB = (
    r"(?:said|says|told|tells|telling|tell\s+you|called|calls|calling|texted|texts|wrote|writes"
    r"|messaged|emailed|posted|commented|yelled|yells|screamed|screams|shouted|shouts|snapped"
    r"|hissed|sneered|muttered|whispered|replied|replies|responded|answered|asked|asks|asking"
    r"|accused|accuses|insisted|insists|claimed|claims|kept\s+saying|keeps\s+saying"
    r"|(?:goes|went|(?:was|is|were|are)\s+like|went\s+with)(?=\s*[:\"'])"
    r"|would\s+say|used\s+to\s+(?:say|tell\s+me|call\s+me)|likes\s+to\s+say|loves\s+to\s+say"
    r"|repeats|repeated|preached|preaches|lectured|informed|warned|threatened|announced"
    r"|declared|labeled|labelled|branded|quoted|quotes|quoting)"
)
_OBJECT = r"(?:\s+(?:me|us|him|her|them|you|everyone|my\s+[\w-]+(?:\s+[\w-]+)?|the\s+family))?"
# "she called me a ...", "my mother texted: ...", "he told everyone that ...",
# "I was told ...", "her exact words were ...", "I got called ...".
_REPORT_FRAME = re.compile(
    rf"\b{_SPEAKER}(?:\s+(?:who|that)(?=\s+(?:says|said|tells|told|keeps|kept|calls|called)))?\s+(?:(?:has|had|have|would|will|always|just|even|then|once|also|actually|"
    rf"literally|still|basically|constantly|never\s+stopped)\s+){{0,2}}{_SPEECH_VERB}\b{_OBJECT}"
    rf"(?:\s+(?:a|an|that|to|things\s+like|stuff\s+like|names\s+like))?\s*[:,-]?\s*"
    r"|\b(?:i|we|you)\s+(?:was|were|got|get|have\s+been|had\s+been|'ve\s+been|'d\s+been)\s+"
    r"(?:told|called|labeled|labelled)\b(?:\s+(?:a|an|that))?\s*[:,-]?\s*"
    r"|\b(?:(?:his|her|their|my\s+[\w-]+(?:'s)?)\s+)?(?:exact\s+)?(?:words|message|text|reply|"
    r"response|email|letter|comment|note|voicemail)\s+(?:was|were|said|read|reads)\s*:?\s*",
    re.IGNORECASE,
)
# The writer's own voice, not a report: "like I said", "I'd say", "I'm just saying".
_OWN_VOICE = re.compile(
    r"\b(?:as|like|what)\s+i\s+(?:said|say|told\s+you)\b|\bi\s+(?:would|'d|must|have\s+to|"
    r"'m\s+(?:just\s+)?)\s*say",
    re.IGNORECASE,
)
# Attribution after a quotation: '"...," she said' / '"..." - my dad, 2019'.
_AFTER_ATTRIBUTION = re.compile(
    rf"^\s*[,-]?\s*(?:{_SPEAKER}\s+{_SPEECH_VERB}\b|{_SPEECH_VERB}\s+{_SPEAKER}\b|-\s*\w+)",
    re.IGNORECASE,
)
# "Every family fights, my mother said, ..." - attribution after the words, no quote marks.
_TRAILING_ATTRIBUTION = re.compile(
    rf",\s*{_SPEAKER}\s+(?:always\s+|would\s+|likes\s+to\s+|loves\s+to\s+|keeps\s+|kept\s+)?"
    r"(?:said|says|say|saying|told\s+me|tells\s+me|insists|insisted|claims|claimed|wrote|"
    r"texted|replied|snapped|added|announced|explained|reminded\s+me)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?]+[\"')]*(?=\s|$)|\n")
_CLAUSE_RESUME = re.compile(
    r";|,?\s+but\s|,\s+(?:and|so)\s+(?:you|honestly|frankly|tbh|i\s+think|that)\b", re.IGNORECASE
)
_QUOTE_LINE = re.compile(r"^>[^\n]*", re.MULTILINE)


_QUOTATION = re.compile(
    rf'"[^"\n]{{1,{MAX_QUOTE_CHARS}}}"'
    rf"|(?<![\w'])'(?=[^\s'])(?:[^'\n]|(?<=\w)'(?=\w)){{1,{MAX_QUOTE_CHARS}}}?(?<=\S)'(?!\w)"
)


def _find_quotations(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation, marks included; apostrophes (don't) are not quotes."""
    return [(m.start(), m.end()) for m in _QUOTATION.finditer(text)]


def _sentence_end(text: str, pos: int, colon: bool) -> int:
    """End of the reported clause starting at ``pos``: end of line after a colon, else sentence."""
    # Reported speech is a clause, not a chapter: looking no further than MAX_REPORTED_CHARS
    # keeps the whole split linear in the text's length however many frames it holds.
    limit = min(len(text), pos + MAX_REPORTED_CHARS)
    if colon:
        newline = text.find("\n", pos, limit)
        return limit if newline < 0 else newline
    ends = [m.end() for m in (_SENTENCE_END.search(text, pos, limit),) if m]
    # "she told me I was the problem, but you ..." - the report stops where the writer resumes.
    resume = _CLAUSE_RESUME.search(text, pos, limit)
    if resume:
        ends.append(resume.start())
    return min(ends, default=limit)


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            if end > last[1]:
                merged[-1] = (last[0], end, last[2])
        else:
            merged.append((start, end, kind))
    return merged


def split_quoted(plain: str) -> ParsedText:
    """Separate the writer's own words from ``>`` quotes, quotations and reported speech."""
    spans: list[tuple[int, int, str]] = [
        (m.start(), m.end(), "blockquote") for m in _QUOTE_LINE.finditer(plain)
    ]
    own_voice = [(m.start(), m.end()) for m in _OWN_VOICE.finditer(plain)]

    def framed(start: int) -> bool:
        line_start = plain.rfind("\n", 0, start) + 1
        window_start = max(line_start, start - 160)
        window = plain[window_start:start]
        last_end = max((m.end() for m in _SENTENCE_END.finditer(window)), default=0)
        clause = window[last_end:]
        # the opening quote mark is included: quotatives like "she was like '...'" need it
        return bool(_REPORT_FRAME.search(clause + plain[start])) or clause.rstrip().endswith(":")

    quotations = _find_quotations(plain)
    quotation_starts = {start for start, _end in quotations}
    for start, end in quotations:
        inner = plain[start + 1 : end - 1]
        attributed = bool(_AFTER_ATTRIBUTION.match(plain[end : end + 60]))
        short = len(inner.split()) <= SCARE_QUOTE_MAX_WORDS
        if framed(start) or attributed or not short:
            spans.append((start, end, "quotation"))

    for match in _TRAILING_ATTRIBUTION.finditer(plain):
        line_start = max(
            plain.rfind("\n", 0, match.start()) + 1, match.start() - MAX_REPORTED_CHARS
        )
        head = plain[line_start : match.start()]
        ends = [m.end() for m in _SENTENCE_END.finditer(head)]
        begin = line_start + (ends[-1] if ends else 0)
        if match.start() > begin:
            spans.append((begin, match.start(), "reported"))

    for match in _REPORT_FRAME.finditer(plain):
        if any(a <= match.start() < b for a, b in own_voice):
            continue
        begin = match.end()
        if begin in quotation_starts:
            continue  # 'she said "..."': the quotation itself is the reported part
        colon = plain[match.start() : match.end()].rstrip().endswith(":")
        end = _sentence_end(plain, begin, colon)
        if end > begin:
            spans.append((begin, end, "reported"))

    merged = _merge(spans)
    own_parts: list[str] = []
    cursor = 0
    for start, end, _kind in merged:
        own_parts.append(plain[cursor:start])
        # Keep the sentence end the quote swallowed, so sentences still split after it.
        tail = plain[start:end].rstrip("\"') ")[-1:]
        own_parts.append(f" {QUOTE_PLACEHOLDER}{tail if tail in '.!?' else ''} ")
        cursor = end
    own_parts.append(plain[cursor:])
    own = normalize("".join(own_parts))
    quoted = tuple(Span(s, e, plain[s:e], kind) for s, e, kind in merged)
    return ParsedText(plain=plain, own_text=own, quoted=quoted)


def parse(raw: str | bytes | bytearray | None) -> ParsedText:
    """Plain text plus the own/quoted split, from any raw post."""
    return split_quoted(to_plain_text(raw))


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|ya|u|ur|youre|you're|y'all)\b", re.I)


def sentences(text: str) -> list[str]:
    return [s for s in (part.strip() for part in _SENTENCE_SPLIT.split(text)) if s]


def addressed_text(parsed: ParsedText) -> str:
    """The writer's own sentences that speak to the reader (second person).

    This is what the general toxicity model is shown: "Fuck him. You owe him nothing."
    becomes "You owe him nothing." because the swearing is aimed at the abuser, not the poster.
    """
    return " ".join(
        s
        for s in sentences(parsed.own_text)
        if _SECOND_PERSON.search(s.replace(QUOTE_PLACEHOLDER, ""))
    )
