"""What every command shares: settings, the database, and turning errors into messages."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import cached_property, wraps
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from campaign.workflow_host import CampaignHost
from core import lock_waits, schema
from core.config import Settings, load_settings
from core.days import NotADay, read_day
from core.db import Database, DatabaseUnavailable, first_line
from core.errors import AppError
from engine.runner import unit_of_work

F = TypeVar("F", bound=Callable[..., Any])


class AppContext:
    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def database(self) -> Database:
        database = Database(self.settings.database_url, lock_wait=self.settings.lock_wait_seconds)
        database.check()
        return database

    @contextmanager
    def transaction(self, *, require_schema: bool = True) -> Iterator[Session]:
        if require_schema:
            self._require_schema()
        with unit_of_work(self.database, CampaignHost()) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (core.db.Database.reading): it does not hold up
        the running service's writes on SQLite."""
        self._require_schema()
        with self.database.reading() as session:
            yield session

    def _require_schema(self) -> None:
        if schema.current_revision(self.database) != schema.head_revision():
            raise click.ClickException("数据库尚未初始化或版本过旧，请先运行：ykt init")

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def friendly_errors(func: F) -> F:
    """Turn expected failures into one readable line and a non-zero exit, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DatabaseUnavailable as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(1)
        except DBAPIError as exc:
            busy = lock_waits.busy_error(exc)  # another transaction in the way: try again
            if busy is not None:
                reason = str(busy)
            elif isinstance(exc, OperationalError):  # the server, the file, the connection
                reason = first_line(exc)
            else:
                raise
            click.echo(f"错误：数据库操作失败：{reason}", err=True)
            sys.exit(1)
        except AppError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def read_password(from_stdin: bool, *, prompt: str = "密码") -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.ClickException("标准输入中没有密码")
        return password
    if not sys.stdin.isatty():
        raise click.ClickException("没有终端可输入密码：请使用 --password-stdin")
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


class DayOption(click.ParamType):
    """An option's day, read as every form reads it (core.days.read_day): 2022-06-10,
    2022/6/10, 2022年6月10日, 20220610."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, date):
            return value
        try:
            return read_day(str(value))
        except NotADay as refused:
            self.fail(str(refused), param, ctx)


DAY = DayOption()
