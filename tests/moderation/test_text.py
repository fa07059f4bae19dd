"""moderation.text: plain text from raw posts, and the writer's own words vs quoted material."""

from __future__ import annotations

import time

import pytest

from moderation.text import (
    QUOTE_PLACEHOLDER,
    addressed_text,
    decode,
    normalize,
    parse,
    to_plain_text,
)


def test_html_tags_are_stripped_and_entities_unescaped():
    plain = to_plain_text("<p>Hello &amp; <b>welcome</b>&nbsp;here</p><p>second &lt;3</p>")
    assert plain == "Hello & welcome here\n\nsecond <3"


def test_scripts_and_styles_are_dropped():
    plain = to_plain_text("<style>p{color:red}</style><p>kind words</p><script>alert(1)</script>")
    assert plain == "kind words"


def test_markdown_syntax_is_removed_but_quotes_kept():
    plain = to_plain_text("# Title\n**bold** and _it_ [a link](http://x.example)\n> quoted")
    assert plain.splitlines() == ["Title", "bold and _it_ a link", "> quoted"]


def test_unicode_is_nfkc_normalised_and_invisible_characters_removed():
    # full-width letters, a zero-width space inside a word, curly apostrophe
    assert normalize("ｙｏｕ’re wo\u200brthless") == "you're worthless"


def test_mixed_script_lookalikes_are_folded_but_real_cyrillic_is_kept():
    assert normalize("k\u0456ll yourself") == "kill yourself"  # Cyrillic i inside a Latin word
    assert (
        normalize("\u043f\u0440\u0438\u0432\u0435\u0442 friend")
        == "\u043f\u0440\u0438\u0432\u0435\u0442 friend"
    )


def test_whitespace_is_collapsed():
    assert normalize("  a \t b\r\n\r\n\r\n c  ") == "a b\n\nc"


def test_invalid_utf8_bytes_are_replaced_not_raised():
    assert decode(b"ok \xff\xfe bytes") == "ok \ufffd\ufffd bytes"
    assert decode(None) == ""
    assert decode("lone \ud800 surrogate") == "lone ? surrogate"


def test_quote_lines_are_not_own_words():
    parsed = parse("> you made your bed\nThat is what she wrote. Ignore it.")
    assert "made your bed" not in parsed.own_text
    assert parsed.quoted[0].kind == "blockquote"
    assert "Ignore it." in parsed.own_text


def test_html_blockquote_becomes_quoted_material():
    parsed = parse("<blockquote>you are the abuser</blockquote><p>She really sent that.</p>")
    assert "abuser" not in parsed.own_text
    assert any("you are the abuser" in span.text for span in parsed.quoted)


@pytest.mark.parametrize(
    ("text", "reported", "own"),
    [
        ("She called me a 'worthless bitch' for years.", "worthless bitch", "She called me a"),
        ('He said "you\'re nothing" and left. You did great.', "you're nothing", "You did great."),
        (
            "My mother texted: you'll regret this when I'm dead\nI blocked her.",
            "regret",
            "I blocked her.",
        ),
        (
            "Her exact words were you're a disappointment. I'm proud of you.",
            "disappointment",
            "proud of you",
        ),
        ("I was told I was too sensitive my whole life.", "too sensitive", "I was told"),
        ("My aunt keeps saying I'll regret it. I won't.", "regret", "I won't."),
        ("She was like 'you ruined Christmas' lol", "ruined Christmas", "lol"),
    ],
)
def test_reported_speech_is_kept_apart(text, reported, own):
    parsed = parse(text)
    assert reported not in parsed.own_text
    assert reported in parsed.quoted_text
    assert own in parsed.own_text


def test_report_stops_where_the_writer_resumes():
    parsed = parse("She told me I was the problem, but you were a child.")
    assert "I was the problem" in parsed.quoted_text
    assert "you were a child" in parsed.own_text


@pytest.mark.parametrize(
    "text",
    [
        "Like I said, you made your bed.",
        "I'd say you made your bed.",
        'Your "trauma" is normal parenting.',
        "You're being dramatic.",
    ],
)
def test_the_writers_own_voice_and_scare_quotes_stay_own(text):
    parsed = parse(text)
    assert parsed.own_text == normalize(text)
    assert parsed.quoted == ()


def test_long_unattributed_quotation_counts_as_quoted():
    parsed = parse("Mine went with 'unhinged liar who needs help'. LC is sane.")
    assert "unhinged" not in parsed.own_text
    assert "LC is sane." in parsed.own_text


def test_apostrophes_are_not_quotation_marks():
    parsed = parse("Don't let your parents' guilt trips win. You're doing fine.")
    assert parsed.quoted == ()


def test_spans_point_into_the_plain_text():
    parsed = parse('> first\nShe said "second" to me.')
    for span in parsed.quoted:
        assert parsed.plain[span.start : span.end] == span.text
    assert QUOTE_PLACEHOLDER in parsed.own_text


def test_addressed_text_keeps_only_second_person_own_sentences():
    parsed = parse("Fuck him. You owe him nothing. She called you a 'stupid cow'.")
    addressed = addressed_text(parsed)
    assert addressed.startswith("You owe him nothing.")
    assert "Fuck" not in addressed
    assert "stupid cow" not in addressed


def test_empty_and_whitespace_only():
    assert parse("").is_empty
    assert parse("   \n\t ").is_empty
    assert parse(None).is_empty
    assert not parse("hi").is_empty


def test_100kb_text_is_handled_quickly():
    text = ("She said 'you are nothing' and I cried. You deserve better. > quote\n" * 1600)[
        :100_000
    ]
    started = time.perf_counter()
    parsed = parse(text)
    addressed_text(parsed)
    assert time.perf_counter() - started < 2.0
    assert len(parsed.plain) > 90_000


def test_pathological_quote_marks_stay_fast():
    started = time.perf_counter()
    parse("'a " * 33_000)
    parse('"' + "a " * 50_000)
    assert time.perf_counter() - started < 3.0
