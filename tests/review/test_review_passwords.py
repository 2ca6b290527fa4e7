"""Password rules (OWASP ASVS 2.1): 12 to 128 characters, not common, not a pattern."""

from __future__ import annotations

import pytest

from pipeline.errors import BadInputError


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "at least 12"),
        ("password", "at least 12"),
        (" " * 8, "at least 12"),
        (" " * 20, "only spaces"),
        ("\t \u3000 " * 4, "only spaces"),
        ("x" * 129, "at most 128"),
        ("x" * 100_000, "at most 128"),
        ("aaaaaaaaaaaa", "repeats"),
        ("abababababab", "repeats"),
        ("123412341234", "repeats"),
        ("123456789012", "keyboard"),
        ("qwertyuiopas", "keyboard"),
        ("QWERTYUIOPASDF", "keyboard"),
        ("asdfghjkl;'", "at least 12"),
        ("zyxwvutsrqponm", "keyboard"),  # the alphabet backwards
        ("1qaz2wsx3edc", "keyboard"),
        ("0987654321098", "keyboard"),
        ("password1234", "common"),
        ("Password123!", "common"),
        ("iloveyou2024", "common"),
        ("P@ssw0rd2024", "common"),
        ("qwerty123456", "common"),
        ("woaini521314", "common"),
        ("administrator", "common"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    from pipeline.review.passwords import check_password_strength

    with pytest.raises(BadInputError, match=why):
        check_password_strength(password)


@pytest.mark.parametrize(
    "password",
    [
        "pw-rev-12345",
        "river patrol kayak 7 lanterns",
        "河湖四乱巡查-2026-秋",
        "x" * 3 + "Tq9!vL2#mZ8@",
    ],
)
def test_good_passwords_pass(password: str) -> None:
    from pipeline.review.passwords import check_password_strength

    check_password_strength(password)


def test_the_password_may_not_be_the_user_name() -> None:
    from pipeline.review.passwords import check_password_strength

    with pytest.raises(BadInputError, match="user name"):
        check_password_strength("reviewer.zhang", username="Reviewer.Zhang")


def test_the_common_list_ships_with_the_package() -> None:
    from pipeline.review.passwords import common_passwords

    words = common_passwords()
    assert {"password", "123456", "qwerty", "iloveyou"} <= words
    assert all(w == w.lower() and w.strip() == w and w for w in words)


def test_admins_cannot_set_a_common_password(client_for) -> None:
    admin = client_for("admin")
    for password, path in (("password1234", "/users"), ("12345678", "/users/view/password")):
        data = {"csrf_token": admin.csrf, "username": "newbie", "role": "viewer",
                "password": password}  # fmt: skip
        response = admin.post(path, data=data)
        assert response.status_code == 400 and "password" in response.text
