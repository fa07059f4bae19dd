"""Markdown rendering from many threads at once (gunicorn's threaded workers): each thread has
its own bleach Cleaner, which keeps parser state between calls."""

from __future__ import annotations

import threading

from forum import markup

TEXTS = [
    "**Day 12** of no contact. <script>alert(1)</script> See https://example.org",
    "> she said I was *too sensitive*\n\nI wasn't.\n\n- one\n- two",
    "```\ncode <b>stays</b> code\n```\n\n# Shouting heading",
    "<a href='javascript:alert(1)'>click</a> <i>ok</i> </div></p></li>",
]


def test_each_thread_renders_with_its_own_cleaner_and_gets_what_one_thread_gets():
    expected = [markup.render_markdown(text) for text in TEXTS]
    cleaners: list[object] = []
    wrong: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def render_many() -> None:
        start.wait()
        cleaners.append(markup._cleaner())
        try:
            for _ in range(150):
                for text, html in zip(TEXTS, expected, strict=True):
                    if markup.render_markdown(text) != html:
                        wrong.append(text)
        except Exception as exc:  # the shared cleaner failed this way under load
            errors.append(exc)

    threads = [threading.Thread(target=render_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and wrong == []
    assert len({id(cleaner) for cleaner in cleaners}) == 8
    assert "<script>" not in expected[0] and 'rel="nofollow noopener"' in expected[0]
