"""The per-worker cache of rendered HTML: bounded in size, least recently used goes first."""

from __future__ import annotations

from forum.render_cache import RenderCache


def test_keeps_what_fits_and_drops_the_least_recently_used():
    cache = RenderCache(max_bytes=3 * (1_000 + 100))
    for name in ("a", "b", "c"):
        cache.put(name, name * 1_000)
    assert cache.get("a") == "a" * 1_000  # now the most recently used
    cache.put("d", "d" * 1_000)
    assert cache.get("b") is None  # the least recently used went
    assert [cache.get(name) is not None for name in ("a", "c", "d")] == [True, True, True]
    assert cache.size <= cache.max_bytes and len(cache) == 3


def test_replacing_a_key_counts_its_size_once_and_oversized_values_are_not_kept():
    cache = RenderCache(max_bytes=10_000)
    cache.put("page", "x" * 5_000)
    cache.put("page", "y" * 2_000)
    assert cache.get("page") == "y" * 2_000 and cache.size == 2_100
    cache.put("huge", "z" * 20_000)
    assert cache.get("huge") is None and cache.get("page") is not None


def test_a_zero_sized_cache_keeps_nothing():
    cache = RenderCache(max_bytes=0)
    cache.put("page", "<p>hello</p>")
    assert cache.get("page") is None and len(cache) == 0
