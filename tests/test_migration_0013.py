"""Migration 0013 on a database that holds data: tokens issued before expiry existed get the
default lifetime from their issue, the session epoch goes, and the way back works."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, text

from core import schema
from core.db import Database
from tests.databases import fresh_database_url


def test_old_tokens_expire_ninety_days_after_their_issue(tmp_path: Path) -> None:
    issued = datetime(2022, 6, 1, 8, 30)
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db, "0012")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO app_user (id, username, full_name, password_hash, enabled,"
                        " must_change_password, failed_logins, session_epoch, created_at)"
                        " VALUES (1, 'robot', 'robot', 'x', true, false, 0, 3, :at)"
                    ),
                    {"at": issued},
                )
                conn.execute(
                    text(
                        "INSERT INTO api_token (user_id, token_hash, prefix, created_at)"
                        " VALUES (1, :hash, 'ykt_abcdef', :at)"
                    ),
                    {"hash": "0" * 64, "at": issued},
                )
            schema.upgrade(db, "0013")
            with db.engine.connect() as conn:
                expires = conn.execute(text("SELECT expires_at FROM api_token")).scalar_one()
            if isinstance(expires, str):  # SQLite hands the text back
                expires = datetime.fromisoformat(expires)
            assert expires == issued + timedelta(days=90)
            columns = {c["name"] for c in inspect(db.engine).get_columns("app_user")}
            assert "session_epoch" not in columns
            schema.downgrade(db, "0012")
            with db.engine.connect() as conn:
                epoch = conn.execute(text("SELECT session_epoch FROM app_user")).scalar_one()
                tokens = conn.execute(text("SELECT count(*) FROM api_token")).scalar_one()
            assert (epoch, tokens) == (0, 1)
        finally:
            db.dispose()
