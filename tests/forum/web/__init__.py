"""Tests of forum/web/: the pages."""
