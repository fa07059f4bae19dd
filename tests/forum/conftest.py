"""Fixtures shared by the forum's page and API tests."""

import pytest


@pytest.fixture
def no_csrf(app_config):
    """Page tests post forms without CSRF tokens: CSRF itself is tested in test_security.py
    (with it enabled, every form is walked); these tests are about the flows behind it."""
    app_config["WTF_CSRF_ENABLED"] = False
