"""Accounts: Argon2id password hashes, the password policy, checking a login, API tokens, and the application
database connection of a request. What `dem users …` and the login page call; storage is indicators/storage/appdb.

Only hashes are stored: Argon2id for passwords (argon2-cffi's PasswordHasher, RFC 9106 parameters; a hash made
with older parameters is replaced at the next successful login) and sha256 for API tokens (a token is 256 random
bits, so a fast hash is enough; it is shown once, when made).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import sqlite3

import flask
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from indicators.base.errors import DataError, UsageError
from indicators.base.regions import RegionTree
from indicators.storage import appdb

MAX_PASSWORD_LENGTH = 1024  # longer input is refused before hashing (a login form is not a hashing service)
MAX_USERNAME_LENGTH = 64
# Refused whatever their length; the rest of the policy is length (settings.auth.min_password_length), not being
# the user name, and more than a few distinct characters ("aaaaaaaaaaaa", "abababababab").
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "passw0rd", "123456789012", "1234567890123", "12345678901234",
    "qwertyuiop", "qwertyuiopas", "qwerty123456", "abc123456789", "iloveyou1234", "admin1234567", "administrator",
    "letmein12345", "welcome12345", "changeme1234", "a1b2c3d4e5f6", "1q2w3e4r5t6y", "zaq12wsxcde3",
})


class WeakPassword(UsageError):
    pass


class InvalidAccount(UsageError):
    pass


@functools.cache
def hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id with argon2-cffi's current RFC 9106 defaults


@functools.cache
def _dummy_hash() -> str:
    """Verified for unknown and password-less users, so that a failed login takes as long whether the name exists
    or not."""
    return hasher().hash(secrets.token_urlsafe(16))


def check_password_policy(password: str, username: str, min_length: int) -> None:
    """Raise WeakPassword with what to do, or return."""
    if len(password) < min_length:
        raise WeakPassword(f"密码太短：至少需要 {min_length} 个字符", f"password too short: at least {min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"密码太长：最多 {MAX_PASSWORD_LENGTH} 个字符",
                           f"password too long: at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.casefold()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 3 or username.casefold() in lowered:
        raise WeakPassword("密码太容易猜到（常见密码、含用户名或只有几个不同字符），请换一个",
                           "password too easy to guess (a common one, contains the user name or has only a few "
                           "distinct characters); choose another")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def _verify(stored: str | None, password: str) -> bool:
    """Constant work: an Argon2 verification happens whether or not there is a stored hash."""
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(con: sqlite3.Connection, username: str, password: str) -> appdb.User | None:
    """The enabled user with this name and password, else None (which of the two was wrong is not told).
    A hash made with older parameters is replaced, without ending the user's other sessions."""
    if len(username) > MAX_USERNAME_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        _verify(None, "")
        return None
    stored = appdb.password_hash(con, username)
    if not _verify(stored, password):
        return None
    found = appdb.user(con, username)
    if found is None or found.disabled:
        return None
    if hasher().check_needs_rehash(stored):
        appdb.set_password_hash(con, username, hash_password(password), rotate=False)
    return found


def check_username(username: str) -> None:
    """Printable, no spaces or control characters, at most MAX_USERNAME_LENGTH (it appears in logs and pages)."""
    if not username or len(username) > MAX_USERNAME_LENGTH or not username.isprintable() or any(
            c.isspace() for c in username):
        raise InvalidAccount(f"用户名无效：1–{MAX_USERNAME_LENGTH} 个可打印字符，不含空格",
                             f"invalid user name: 1–{MAX_USERNAME_LENGTH} printable characters, no spaces")


def check_region(role: str, region: str | None, regions: RegionTree) -> None:
    """An officer's scope is a league or a county of the catalogue; the other roles have none."""
    if role != "officer":
        if region:
            raise InvalidAccount("只有报送员（officer）有地区范围 --region", "only an officer has a region scope (--region)")
        return
    unit = regions.by_code.get(region or "")
    if unit is None or unit.level not in ("league", "county"):
        raise InvalidAccount(f"报送员需要一个盟市或旗县市区代码 --region（“{region or ''}”不是）",
                             f"an officer needs a league or county code as --region ({repr(region) if region else 'none given'})")


def add_user(con: sqlite3.Connection, regions: RegionTree, username: str, role: str, region: str | None,
             password: str, min_length: int, demo: bool = False) -> appdb.User:
    check_username(username)
    if role not in appdb.ROLES:
        raise InvalidAccount(f"未知角色 {role}（可用：{', '.join(appdb.ROLES)}）",
                             f"unknown role {role} (one of {', '.join(appdb.ROLES)})")
    check_region(role, region, regions)
    check_password_policy(password, username, min_length)
    return appdb.add_user(con, username, role, region or None, hash_password(password), demo=demo)


def set_password(con: sqlite3.Connection, username: str, password: str, min_length: int) -> None:
    """A new password: the user's sessions end at their next request."""
    if appdb.user(con, username) is None:
        raise DataError(f"用户 {username} 不存在", f"no user {username}")
    check_password_policy(password, username, min_length)
    appdb.set_password_hash(con, username, hash_password(password), rotate=True)


# ── API tokens ───────────────────────────────────────────────────────────────────────────────────────────────

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(con: sqlite3.Connection, username: str) -> str:
    """A new API token for the user, returned once (only its sha256 is stored)."""
    found = appdb.user(con, username)
    if found is None:
        raise DataError(f"用户 {username} 不存在", f"no user {username}")
    if found.disabled:
        raise DataError(f"用户 {username} 已停用", f"user {username} is disabled")
    token = secrets.token_urlsafe(32)
    appdb.add_token(con, username, token_hash(token))
    return token


def user_for_token(token: str) -> appdb.User | None:
    """The enabled user holding this live token (looked up by its hash in this request's connection), else None."""
    if not token or len(token) > 256:
        return None
    return appdb.user_by_token(db(), token_hash(token))


# ── the application database of a request ────────────────────────────────────────────────────────────────────

def db() -> sqlite3.Connection:
    """This request's connection to the application database (settings.paths.app_db), opened at first use and
    closed when the request ends (close_db, registered by install)."""
    if "dem_app_db" not in flask.g:
        from dashboard import (
            data,  # the dashboard's settings; imported late: accounts is also used by the CLI
        )

        flask.g.dem_app_db = appdb.connect(data.settings().paths.app_db)
    return flask.g.dem_app_db


def close_db(_exc: BaseException | None = None) -> None:
    con = flask.g.pop("dem_app_db", None)
    if con is not None:
        con.close()
