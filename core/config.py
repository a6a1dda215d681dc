"""Settings read from the environment.

YKT_DATABASE_URL   SQLAlchemy URL; default: the SQLite file instance/ykt.sqlite3
YKT_SECRET_KEY     signing key for sessions and CSRF; when absent it is generated once and
                   kept in instance/secret_key (mode 0600), so restarts keep sessions valid
YKT_DATA_DIR       where uploaded files live; default instance/data
YKT_INSTANCE_DIR   the folder for the above defaults; default ./instance
YKT_TOKEN_DAYS     how many days a new API token is valid; default 90 (1 to 3650)
YKT_LOCK_WAIT_SECONDS  how long a change waits for a record another transaction holds
                   before it gives up with "try again" (core.lock_waits); default 30 (1 to 600)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput
from core.lock_waits import LOCK_WAIT_SECONDS
from core.numbers import whole

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650
MAX_LOCK_WAIT_SECONDS = 600


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    data_dir: Path
    secret_key: str
    token_days: int = DEFAULT_TOKEN_DAYS
    lock_wait_seconds: float = LOCK_WAIT_SECONDS

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def instance_dir_from_env(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("YKT_INSTANCE_DIR") or "instance").resolve()


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings; creates the instance folder and the secret key file when needed."""
    env = dict(os.environ if environ is None else environ)
    # Both refused before anything is made.
    token_days = _token_days(env.get("YKT_TOKEN_DAYS", ""))
    lock_wait = _lock_wait_seconds(env.get("YKT_LOCK_WAIT_SECONDS", ""))
    instance = instance_dir_from_env(env)
    database_url = env.get("YKT_DATABASE_URL") or f"sqlite:///{instance / 'ykt.sqlite3'}"
    if database_url.startswith("sqlite"):
        instance.mkdir(parents=True, exist_ok=True)
    data_dir = Path(env.get("YKT_DATA_DIR") or instance / "data").resolve()
    secret = env.get("YKT_SECRET_KEY") or _stored_secret_key(instance)
    return Settings(
        instance_dir=instance,
        database_url=database_url,
        data_dir=data_dir,
        secret_key=secret,
        token_days=token_days,
        lock_wait_seconds=lock_wait,
    )


def _token_days(value: str) -> int:
    if not value.strip():
        return DEFAULT_TOKEN_DAYS
    days = whole(value)
    if days is None or not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"YKT_TOKEN_DAYS 须为 1 至 {MAX_TOKEN_DAYS} 的整数：{value!r}")
    return days


def _lock_wait_seconds(value: str) -> float:
    if not value.strip():
        return LOCK_WAIT_SECONDS
    seconds = whole(value)
    if seconds is None or not 1 <= seconds <= MAX_LOCK_WAIT_SECONDS:
        raise InvalidInput(
            f"YKT_LOCK_WAIT_SECONDS 须为 1 至 {MAX_LOCK_WAIT_SECONDS} 的整数（秒）：{value!r}"
        )
    return float(seconds)


def _stored_secret_key(instance: Path) -> str:
    """The key kept in the instance folder, made by whichever process comes first.

    Several processes may start at once on a fresh folder (gunicorn workers without
    --preload, a web process beside `ykt worker`): each writes a candidate to a file of its
    own and links it into place, which succeeds for one of them only; all then read the one
    that is there. A reader never sees a half-written key, as the file appears whole."""
    path = instance / SECRET_KEY_FILE
    key = _read_key(path)
    if key:
        return key
    instance.mkdir(parents=True, exist_ok=True)
    # Created with 0600 from the start so the key is never readable by others, even briefly.
    fd, candidate = tempfile.mkstemp(dir=instance, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: its key wins
            os.link(candidate, path)
    finally:
        os.unlink(candidate)
    key = _read_key(path)
    if not key:
        raise InvalidInput(f"密钥文件为空：{path}；请删除它后重新启动，或设置 YKT_SECRET_KEY")
    return key


def _read_key(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
