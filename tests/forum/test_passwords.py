"""Passwords: 10-256 characters, not one of the most common, not the member's own name."""

from __future__ import annotations

import pytest

from forum import passwords
from forum.errors import InvalidInput


@pytest.mark.parametrize("password", [
    "1234567890", "qwertyuiop", "Password123", "  1q2w3e4r5t  ", "basketball", "QWERTYUIOP",
])
def test_common_passwords_are_refused_kindly(password):
    with pytest.raises(InvalidInput) as refused:
        passwords.check_password(password)
    assert "most common" in refused.value.message
    assert refused.value.details["field"] == "password"


@pytest.mark.parametrize(("password", "message"), [
    ("nine char", "at least 10"),
    ("x" * 257, "at most 256"),
    (None, "at least 10"),
    (1234567890, "at least 10"),
])
def test_length_and_type(password, message):
    with pytest.raises(InvalidInput) as refused:
        passwords.check_password(password)
    assert message in refused.value.message


def test_length_bounds_are_inclusive():
    assert passwords.check_password("ten chars!")
    assert passwords.check_password("y" * 256)


@pytest.mark.parametrize("password", ["RiverStone-2024!", "my riverstone pass", "kestrel.longwalk"])
def test_the_username_or_email_local_part_is_refused(password):
    with pytest.raises(InvalidInput) as refused:
        passwords.check_password(password, username="RiverStone", email="kestrel.long@example.test")
    assert "username or email" in refused.value.message


def test_ordinary_passphrases_pass():
    assert passwords.check_password("correct horse battery", username="alice",
                                    email="alice@example.test")
    # Names of two characters would refuse half of all passwords; they are not checked.
    assert passwords.check_password("a quiet evening", username="ev1", email="al@example.test")


def test_the_list_is_vendored_with_its_licence_and_source():
    common = passwords.common_passwords()
    assert len(common) > 19_000 and "1234567890" in common
    assert all(entry == entry.lower() for entry in list(common)[:500])
    data = passwords.COMMON_PASSWORDS.parent
    assert "Royce" in (data / "SOURCE.md").read_text()
    assert "Django Software Foundation" in (data / "LICENSE.django").read_text()
