"""Password policy (等保 2.0) and hashing with argon2."""

from __future__ import annotations

import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
MIN_CLASSES = 3

_hasher = PasswordHasher()
# A hash to verify against when no real one is at hand (no such user, an address refused),
# so that every failed login takes the time of a wrong password and none can be told apart.
_DUMMY_HASH: str | None = None


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (the test suite uses cheaper parameters to stay fast); returns the
    one it replaces."""
    global _hasher, _DUMMY_HASH
    previous, _hasher = _hasher, hasher
    _DUMMY_HASH = None  # made again with these parameters, or it would cost the old time
    return previous


def policy_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with a new password, as messages; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码长度至少 {MIN_LENGTH} 位")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码长度不能超过 {MAX_LENGTH} 位")
    classes = sum(
        [
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c in string.digits for c in password),
            any(not c.isascii() or not c.isalnum() for c in password),
        ]
    )
    if classes < MIN_CLASSES:
        problems.append("密码须包含大写字母、小写字母、数字、特殊字符中的至少三类")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    return problems


def check_policy(password: str, username: str = "") -> None:
    problems = policy_problems(password, username)
    if problems:
        raise InvalidInput("；".join(problems))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("dummy-Password-1")
    verify_password(_DUMMY_HASH, password)
