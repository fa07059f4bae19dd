"""Tests of forum/cli/: the command line."""
