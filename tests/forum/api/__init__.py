"""Tests of forum/api/: the JSON API."""
