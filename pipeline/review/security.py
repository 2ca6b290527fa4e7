"""Passwords, tokens and permissions.

- Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``, its
  RFC 9106 low-memory profile by default); a hash made with weaker parameters
  is replaced at the next successful login.
- Session and CSRF tokens are 32 random bytes (``secrets``); the database keeps
  the sha256 of a session token, never the token.
- Before login there is no session: the form token is the server's HMAC of a
  random cookie (:func:`pre_login_token`) under a key kept in the state folder
  (:func:`load_or_make_key`), so a cookie an attacker plants has no token to go
  with it unless the server made one.
- Roles are ordered: each has every permission of the roles before it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline.errors import BadInputError, MissingDependencyError
from pipeline.review.models import ROLES

#: Permission → the weakest role that has it.
PERMISSIONS = MappingProxyType(
    {
        "read": "viewer",
        "review": "reviewer",
        "process": "operator",
        "admin": "admin",
    }
)
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def role_allows(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission`` (unknown roles and permissions have nothing)."""
    need = PERMISSIONS.get(permission)
    if need is None or role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(need)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadInputError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def normalise_username(name: str) -> str:
    """Lower-cased ``name``; raises :class:`BadInputError` unless it is 1–64 of ``a-z0-9._-``."""
    clean = name.strip().lower()
    if not clean or len(clean) > 64 or not set(clean) <= USERNAME_CHARS:
        raise BadInputError(
            f"user name {name!r} must be 1-64 characters of a-z, 0-9, '.', '_' or '-'"
        )
    return clean


def make_hasher(profile: str = "default") -> Any:
    """An argon2 ``PasswordHasher``: ``default`` (RFC 9106 low memory) or ``test`` (cheapest)."""
    try:
        from argon2 import PasswordHasher, profiles
    except ImportError as e:
        raise MissingDependencyError(
            "accounts need argon2-cffi: pip install 'argon2-cffi>=23.1'"
        ) from e
    if profile == "test":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def verify_password(hasher: Any, password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (any argon2 error is a mismatch)."""
    from argon2.exceptions import Argon2Error, InvalidHashError

    try:
        return bool(hasher.verify(password_hash, password))
    except (Argon2Error, InvalidHashError):
        return False


def new_token() -> str:
    """43 URL-safe characters carrying 256 random bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison; ``None`` or empty never matches."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def load_or_make_key(path: Path) -> bytes:
    """The 32-byte key at ``path``, made (mode 0600) when missing; workers share one file."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # atomic: the first worker's key wins, complete
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        key = path.read_bytes()
    if len(key) < 32:
        raise BadInputError(f"{path}: the key is {len(key)} bytes, expected 32; delete it")
    return key


def pre_login_token(key: bytes, cookie: str | None) -> str | None:
    """The form token that goes with a pre-login cookie: HMAC-SHA256 under the server's key."""
    if not cookie or len(cookie) > 128:
        return None
    mac = hmac.new(key, b"hehu-pre-login:" + cookie.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")
