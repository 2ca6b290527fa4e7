"""Password rules for accounts (OWASP ASVS 2.1): length, common choices, obvious patterns.

A password must be 12 to 128 characters (ASVS 2.1.1/2.1.2), not only spaces,
not the account's name, not a few characters repeated, not a keyboard or
alphabet walk (``qwertyuiopas``, ``123456789012``), and not one of the most
common passwords (:func:`common_passwords`, the package file
``common_passwords.txt``, which says where it comes from) even with digits or
symbols added or letters swapped for look-alikes (``P@ssw0rd2024``). Every
other character is allowed, spaces and any script included.
"""

from __future__ import annotations

import string
from functools import cache

from pipeline.errors import BadInputError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
#: Keyboard rows and columns, the digits and the alphabet; a walk along one is refused.
WALKS = (
    "1234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "abcdefghijklmnopqrstuvwxyz",
    "!@#$%^&*()",
)
#: Look-alike swaps undone before comparing with the common list.
UNLEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s",
                        "5": "s", "7": "t"})  # fmt: skip
_TRAILING = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case."""
    from importlib.resources import files

    text = files("pipeline.review").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _repeats(word: str) -> bool:
    """Whether ``word`` is one to four characters said over and over (``abababababab``)."""
    return any(
        len(word) >= 2 * k and (word[:k] * (len(word) // k + 1))[: len(word)] == word
        for k in range(1, 5)
    )


def _walk(word: str) -> bool:
    lower = word.lower()
    return any(lower in (w * 3) or lower in (w[::-1] * 3) for w in WALKS)


def _common(word: str) -> bool:
    lower = word.lower()
    cores = {lower, lower.rstrip(_TRAILING), lower.lstrip(string.digits)}
    cores |= {c.translate(UNLEET) for c in cores}
    cores |= {c.rstrip(_TRAILING) for c in cores}
    listed = common_passwords()
    return any(c in listed for c in cores if c)


def check_password_strength(password: str, *, username: str | None = None) -> None:
    """Raise :class:`BadInputError` saying which rule ``password`` breaks (see module doc)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadInputError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    if password.isspace():
        raise BadInputError("a password of only spaces is no password; choose words or more")
    if username and password.strip().lower() == username.strip().lower():
        raise BadInputError("the password may not be the user name")
    if _repeats(password):
        raise BadInputError("the password repeats a few characters; choose a longer phrase")
    if _walk(password):
        raise BadInputError("the password is a keyboard or alphabet walk; choose a phrase")
    if _common(password):
        raise BadInputError(
            "the password is one of the most common ones (perhaps with digits or symbols "
            "added); choose another, e.g. a few unrelated words"
        )
