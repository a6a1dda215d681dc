"""Searching for what a person typed: the characters LIKE gives a meaning (`%`, `_` and the
escape character) stand for themselves, so a search for 10% finds "10%", not every entry
with "10" in it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

ESCAPE = "\\"


def escaped(text: str) -> str:
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def containing(column: Any, text: str) -> ColumnElement[bool]:
    """The column holds the text anywhere, whatever the case."""
    condition: ColumnElement[bool] = column.ilike(f"%{escaped(text)}%", escape=ESCAPE)
    return condition


def starting(expression: Any, text: str) -> ColumnElement[bool]:
    """The expression begins with the text (as it is: upper-case both sides to ignore case).
    The pattern is a whole constant, so PostgreSQL reads it as a range of an index."""
    condition: ColumnElement[bool] = expression.like(f"{escaped(text)}%", escape=ESCAPE)
    return condition
