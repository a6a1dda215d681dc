"""Masking personal information before anything is published (domain rules of 公示).

ID numbers keep the first 2 and last 4 characters (42**********1234, always ten asterisks so
the length says nothing), bank card numbers
only their last 4 digits, phone numbers the first 3 and last 4 (138****1234). Applied on the
server to every public view and export."""

from __future__ import annotations

import re

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{2})(\d{12}|\d{9})(\d{3}[0-9Xx]|\d{4})(?![0-9A-Za-z])")
_BANK_CARD = re.compile(r"(?<!\d)(\d{12,15})(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}[-—－]?)(\d{3,4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 10 + m.group(3), text)
    text = _BANK_CARD.sub(lambda m: "*" * len(m.group(1)) + m.group(2), text)
    text = _PHONE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _LANDLINE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
