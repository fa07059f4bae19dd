"""Tests of forum/digest/: composing and sending the email digest."""
