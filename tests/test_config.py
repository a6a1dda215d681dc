import stat
from pathlib import Path

from core.config import load_settings


def test_secret_key_is_generated_once_stored_private_and_reused(tmp_path: Path) -> None:
    env = {"YKT_INSTANCE_DIR": str(tmp_path)}
    first = load_settings(env)
    key_file = tmp_path / "secret_key"
    assert len(first.secret_key) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings(env).secret_key == first.secret_key


def test_environment_overrides_the_defaults(tmp_path: Path) -> None:
    env = {
        "YKT_INSTANCE_DIR": str(tmp_path),
        "YKT_SECRET_KEY": "from-the-environment",
        "YKT_DATABASE_URL": "postgresql://ykt@db.example/ykt",
        "YKT_DATA_DIR": str(tmp_path / "files"),
    }
    settings = load_settings(env)
    assert settings.secret_key == "from-the-environment"
    assert settings.database_url == "postgresql://ykt@db.example/ykt"
    assert settings.data_dir == tmp_path / "files"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings({"YKT_INSTANCE_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'ykt.sqlite3'}"
    assert settings.is_sqlite
    assert settings.data_dir == tmp_path / "data"
