"""Tests of forum/review/ and forum/screening.py: moderation on the forum's side."""
