"""A person's e-mail address and mobile number, where notices also go (campaign.outbox).

Only a security administrator changes them, never their own (campaign.duties' rule); the
audit record keeps the mobile number masked, as every page shows it."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from campaign import audit, duties
from campaign.models import User
from core.errors import InvalidInput

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number, 11 digits


def mask_mobile(mobile: str) -> str:
    """138****5678: enough to recognise a number, not to call it."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}{'*' * (len(mobile) - 7)}{mobile[-4:]}"


def _email(value: str) -> str:
    value = value.strip()
    if value and (len(value) > 254 or not EMAIL.match(value)):
        raise InvalidInput(
            "电子邮箱格式不正确", {"email": "请填写有效的电子邮箱，如 name@example.cn"}
        )
    return value


def _mobile(value: str) -> str:
    value = re.sub(r"[\s-]", "", value.strip())
    if value.startswith("+86"):
        value = value[3:]
    if value and not MOBILE.match(value):
        raise InvalidInput("手机号码格式不正确", {"mobile": "请填写 11 位手机号码"})
    return value


def set_contact(
    session: Session, actor: User, person: User, *, email: str, mobile: str | None = None
) -> User:
    """Set the address and number (empty: none). A mobile of None keeps the stored one: the
    page shows it masked and sends it only when it is typed anew."""
    duties.require_manager(actor, person)
    new_email = _email(email)
    new_mobile = person.mobile if mobile is None else _mobile(mobile)
    changed = {}
    if new_email != person.email:
        changed["email"] = new_email or "（清除）"
    if new_mobile != person.mobile:
        changed["mobile"] = mask_mobile(new_mobile) if new_mobile else "（清除）"
    person.email, person.mobile = new_email, new_mobile
    if changed:
        audit.record(
            session, "user.contact", actor=actor, target=f"user:{person.username}", **changed
        )
    session.flush()
    return person
