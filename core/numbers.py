"""Whole numbers as people and addresses write them. `str.isdecimal` before `int()` is not
enough: int() refuses more than 4,300 digits (ValueError), and a number of 20 digits passes
int() only to overflow the database's integers. Every number a request carries is read here."""

from __future__ import annotations

from core.db import MAX_ID

# More digits than any count, amount in 分, year or id we keep: a 64-bit integer holds them all.
MAX_DIGITS = 18


def whole(text: str | None, *, signed: bool = False) -> int | None:
    """The whole number `text` writes (decimal digits, ASCII or full-width, spaces around
    ignored, a leading '-' when `signed`), or None: not a whole number, or more than
    MAX_DIGITS digits."""
    if text is None:
        return None
    text = text.strip()
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits.isdecimal() or len(digits.lstrip("0")) > MAX_DIGITS:
        return None
    return int(text)


def row_id(text: str | None) -> int | None:
    """The id of a row named in a form or an address (1 to MAX_ID), or None: anything else
    names no row."""
    value = whole(text)
    return value if value is not None and 1 <= value <= MAX_ID else None


def fits(value: int) -> bool:
    """Whether a number (one a JSON body carried, of any size) has at most MAX_DIGITS digits."""
    return abs(value) < 10**MAX_DIGITS
