"""Channels a notice also goes out through: e-mail (SMTP) and an SMS gateway (HTTP POST).

Each is configured from the environment (docs/operations.md, "Notices by e-mail and SMS"):

YKT_SMTP_HOST       the SMTP server; no host, no e-mail
YKT_SMTP_PORT       default 25 (587 when YKT_SMTP_STARTTLS is on)
YKT_SMTP_USER       log in with this name and YKT_SMTP_PASSWORD (none: no login)
YKT_SMTP_PASSWORD
YKT_SMTP_STARTTLS   1 to upgrade the connection with STARTTLS before logging in
YKT_SMTP_FROM       the sender's address (required with a host)
YKT_SMTP_TIMEOUT    seconds to wait for the server; default 10
YKT_SMS_URL         the gateway's address; no URL, no SMS. It gets POST {"phone", "text"}
YKT_SMS_TOKEN       sent as "Authorization: Bearer <token>", or in YKT_SMS_TOKEN_HEADER
YKT_SMS_TOKEN_HEADER
YKT_SMS_TIMEOUT     seconds; default 10

A channel only sends; the outbox (campaign.outbox) decides what, when and how often."""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from campaign.models import User
from core.errors import InvalidInput

PLATFORM = "惠民惠农财政补贴资金“一卡通”专项治理平台"
SMS_SIGNATURE = "【一卡通治理】"
ERROR_MAX = 500


class DeliveryFailed(Exception):
    """The channel could not hand the message over; the outbox tries again later."""


class Channel(Protocol):
    @property
    def name(self) -> str: ...  # email, sms: the keys of the policy's "channels"

    def address_of(self, user: User) -> str: ...

    def send(self, address: str, subject: str, text: str) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0
    name: str = "email"

    def address_of(self, user: User) -> str:
        return user.email

    def send(self, address: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = f"【{subject}】{text[:40]}"
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(f"{text}\n\n本邮件由{PLATFORM}自动发送，请登录平台办理。\n")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(_describe(error)) from error


@dataclass(frozen=True)
class SmsGateway:
    url: str
    token: str = ""
    token_header: str = ""
    timeout: float = 10.0
    name: str = "sms"

    def address_of(self, user: User) -> str:
        return user.mobile

    def send(self, address: str, subject: str, text: str) -> None:
        body = json.dumps({"phone": address, "text": f"{SMS_SIGNATURE}{text}"}, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            if self.token_header:
                headers[self.token_header] = self.token
            else:
                headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in from_env)
            self.url, data=body.encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read(4096)
        except urllib.error.HTTPError as error:
            raise DeliveryFailed(f"短信网关返回 {error.code}") from error
        except (OSError, ValueError) as error:
            raise DeliveryFailed(_describe(error)) from error


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        words = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"SMTP {error.smtp_code} {words}"[:ERROR_MAX]
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    return f"{type(error).__name__}: {error}"[:ERROR_MAX]


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not 0 < number <= 3600:
        raise InvalidInput(f"{name} 须为 0 至 3600 之间的数：{value!r}")
    return number


def from_env(environ: Mapping[str, str] | None = None) -> list[Channel]:
    """The channels the environment configures (none: notices stay in the app)."""
    env = os.environ if environ is None else environ
    found: list[Channel] = []
    host = env.get("YKT_SMTP_HOST", "").strip()
    if host:
        sender = env.get("YKT_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise InvalidInput("配置了 YKT_SMTP_HOST 时须以 YKT_SMTP_FROM 给出发件地址")
        starttls = env.get("YKT_SMTP_STARTTLS", "").strip().lower() in {"1", "true", "yes", "on"}
        port = int(_number(env, "YKT_SMTP_PORT", 587 if starttls else 25))
        found.append(
            EmailChannel(
                host,
                port,
                sender,
                env.get("YKT_SMTP_USER", ""),
                env.get("YKT_SMTP_PASSWORD", ""),
                starttls,
                _number(env, "YKT_SMTP_TIMEOUT", 10),
            )
        )
    url = env.get("YKT_SMS_URL", "").strip()
    if url:
        if not url.startswith(("http://", "https://")):
            raise InvalidInput("YKT_SMS_URL 须以 http:// 或 https:// 开头")
        found.append(
            SmsGateway(
                url,
                env.get("YKT_SMS_TOKEN", ""),
                env.get("YKT_SMS_TOKEN_HEADER", "").strip(),
                _number(env, "YKT_SMS_TIMEOUT", 10),
            )
        )
    return found
