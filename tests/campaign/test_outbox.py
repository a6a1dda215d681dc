"""Notices out by e-mail and SMS: a real SMTP server on loopback (aiosmtpd) receives them, an
SMS gateway double on loopback gets the JSON; a refused, failing or silent server is retried
with backoff and given up after the last attempt; nothing of it ever runs inside, or holds
up, the work that made the notice."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import channels, outbox, problems, reminder_policy, tasks
from campaign.channels import EmailChannel, SmsGateway
from campaign.models import Delivery, Notification, Problem
from campaign.workflow_host import CampaignHost
from core import clock
from core.db import Database
from core.errors import InvalidInput
from tests.campaign.conftest import approval, open_step, registration, user

POLICY = reminder_policy.parse(
    {
        "steps": [{"process": "*", "step": "*", "reminders": []}],
        "channels": {"email": ["assigned", "returned"], "sms": ["assigned"]},
    }
)
FROM = "ykt@lkq.example.cn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Mailbox:
    """aiosmtpd's handler: keeps what it receives, or answers DATA with a refusal."""

    def __init__(self, refuse: str = "") -> None:
        self.received: list[Any] = []
        self.refuse = refuse

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.received.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def refusing_smtp_server() -> Iterator[int]:
    port = free_port()
    controller = Controller(
        Mailbox(refuse="554 5.7.1 Message rejected"), hostname="127.0.0.1", port=port
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word, as a hung mail server does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


class Gateway(ThreadingHTTPServer):
    received: list[tuple[dict[str, Any], str]]
    answers: list[int]


class GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((body, self.headers.get("Authorization", "")))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "busy"}')

    def log_message(self, *_args: Any) -> None:  # quiet in the test output
        pass


@pytest.fixture
def sms_gateway() -> Iterator[Gateway]:
    server = Gateway(("127.0.0.1", 0), GatewayHandler)
    server.received, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def email_to(port: int, timeout: float = 5) -> EmailChannel:
    return EmailChannel("127.0.0.1", port, FROM, timeout=timeout)


def registered(session: Session, host: CampaignHost) -> Problem:
    """A new problem: its reviewer (qsz_fzr, who has an address) is told of the review."""
    reviewer = user(session, "qsz_fzr")
    reviewer.email, reviewer.mobile = "fzr@qsz.example.cn", "13800138000"
    session.flush()
    return problems.register(session, host, user(session, "qsz_jbr"), "QSZ", registration())


def deliveries(session: Session, problem: Problem) -> list[Delivery]:
    step_ids = [open_step(session, problem).id]
    session.expire_all()
    return list(
        session.scalars(
            select(Delivery)
            .join(Notification)
            .where(Notification.work_item_id.in_(step_ids))
            .order_by(Delivery.channel)
        )
    )


def test_a_notice_reaches_a_real_smtp_server_and_the_sms_gateway(
    db_session: Session,
    bound_database: Database,
    host: CampaignHost,
    smtp_server: Any,
    sms_gateway: Gateway,
) -> None:
    mailbox, port = smtp_server
    problem = registered(db_session, host)
    gateway = SmsGateway(f"http://127.0.0.1:{sms_gateway.server_port}/send", token="s3cret")
    done = outbox.deliver(bound_database, POLICY, [email_to(port), gateway])
    assert (done.queued, done.sent, done.retried, done.failed) == (2, 2, 0, 0)
    [envelope] = mailbox.received
    assert envelope.rcpt_tos == ["fzr@qsz.example.cn"] and envelope.mail_from == FROM
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "【新待办】" in str(message["Subject"]) and problem.number in str(message["Subject"])
    body = message.get_content()
    assert f"问题 {problem.number}（青山镇）“审核登记，落实整改责任”：待您办理" in body
    [(sms, authorization)] = sms_gateway.received
    assert sms["phone"] == "13800138000" and problem.number in sms["text"]
    assert authorization == "Bearer s3cret"
    assert [(d.channel, d.status, d.attempts) for d in deliveries(db_session, problem)] == [
        ("email", "sent", 1),
        ("sms", "sent", 1),
    ]
    # Sent is sent: the next rounds queue and send nothing again.
    again = outbox.deliver(bound_database, POLICY, [email_to(port), gateway])
    assert (again.queued, again.sent) == (0, 0) and len(mailbox.received) == 1


def test_a_refused_connection_is_retried_with_backoff_then_given_up(
    db_session: Session, bound_database: Database, host: CampaignHost
) -> None:
    problem = registered(db_session, host)
    nowhere = email_to(free_port())  # nothing listens there
    retry = outbox.Retry(attempts=3, first=timedelta(minutes=1))
    first = outbox.deliver(bound_database, POLICY, [nowhere], retry)
    assert (first.sent, first.retried, first.failed) == (0, 1, 0)
    [mail] = deliveries(db_session, problem)
    assert mail.attempts == 1 and mail.status == "pending"
    assert "ConnectionRefused" in mail.last_error
    assert mail.next_attempt_at == clock.now() + timedelta(minutes=1)
    # Not again before its time...
    clock.advance(timedelta(seconds=59))
    assert outbox.deliver(bound_database, POLICY, [nowhere], retry).retried == 0
    clock.advance(timedelta(seconds=1))
    assert outbox.deliver(bound_database, POLICY, [nowhere], retry).retried == 1
    [mail] = deliveries(db_session, problem)
    assert mail.attempts == 2 and mail.next_attempt_at == clock.now() + timedelta(minutes=2)
    clock.advance(timedelta(minutes=2))
    last = outbox.deliver(bound_database, POLICY, [nowhere], retry)
    assert (last.retried, last.failed) == (0, 1)
    [mail] = deliveries(db_session, problem)
    assert (mail.status, mail.attempts) == ("failed", 3)
    clock.advance(timedelta(days=1))
    assert outbox.deliver(bound_database, POLICY, [nowhere], retry).failed == 0  # given up


def test_a_5xx_answer_is_retried_and_a_server_that_recovers_delivers(
    db_session: Session,
    bound_database: Database,
    host: CampaignHost,
    refusing_smtp_server: int,
    smtp_server: Any,
) -> None:
    problem = registered(db_session, host)
    retry = outbox.Retry(attempts=5, first=timedelta(seconds=30))
    failed = outbox.deliver(bound_database, POLICY, [email_to(refusing_smtp_server)], retry)
    assert failed.retried == 1
    [mail] = deliveries(db_session, problem)
    assert mail.last_error == "SMTP 554 5.7.1 Message rejected" and mail.status == "pending"
    clock.advance(timedelta(seconds=30))
    mailbox, port = smtp_server  # the same address, working again
    assert outbox.deliver(bound_database, POLICY, [email_to(port)], retry).sent == 1
    [mail] = deliveries(db_session, problem)
    assert (mail.status, mail.attempts, mail.last_error) == ("sent", 2, "")
    assert len(mailbox.received) == 1


def test_the_gateway_answering_500_is_retried(
    db_session: Session, bound_database: Database, host: CampaignHost, sms_gateway: Gateway
) -> None:
    problem = registered(db_session, host)
    sms_gateway.answers = [500]
    gateway = SmsGateway(
        f"http://127.0.0.1:{sms_gateway.server_port}/send", token="t", token_header="X-Token"
    )
    assert outbox.deliver(bound_database, POLICY, [gateway]).retried == 1
    [sms] = deliveries(db_session, problem)
    assert sms.last_error == "短信网关返回 500"
    clock.advance(timedelta(minutes=1))
    assert outbox.deliver(bound_database, POLICY, [gateway]).sent == 1
    assert len(sms_gateway.received) == 2


def test_a_silent_server_holds_up_neither_the_work_nor_more_than_one_timeout(
    db_session: Session,
    bound_database: Database,
    host: CampaignHost,
    silent_server: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The work that makes notices never talks to a channel; the deliverer gives a hung
    server one timeout a round and leaves the other notices for the next round."""
    monkeypatch.setenv("YKT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("YKT_SMTP_PORT", str(silent_server))
    monkeypatch.setenv("YKT_SMTP_FROM", FROM)
    started = time.monotonic()
    problem = registered(db_session, host)
    user(db_session, "qsz_jbr").email = "jbr@qsz.example.cn"
    tasks.complete(
        db_session,
        host,
        user(db_session, "qsz_fzr"),
        open_step(db_session, problem).id,
        approval(),
    )
    registered(db_session, host)
    assert time.monotonic() - started < 4  # far less than one SMTP timeout (10 s)
    hung = email_to(silent_server, timeout=1)
    started = time.monotonic()
    done = outbox.deliver(bound_database, POLICY, [hung])
    took = time.monotonic() - started
    # Three notices (two reviews, one rectification): one attempt, the others left waiting.
    assert (done.queued, done.sent, done.retried) == (3, 0, 1)
    assert 0.9 < took < 3, took
    db_session.expire_all()
    waiting = list(db_session.scalars(select(Delivery)))
    assert sorted(d.attempts for d in waiting) == [0, 0, 1]
    assert {d.status for d in waiting} == {"pending"}
    assert all(d.next_attempt_at <= clock.now() + timedelta(minutes=1) for d in waiting)


def test_only_the_policy_kinds_to_people_with_an_address_are_queued_once(
    db_session: Session, bound_database: Database, host: CampaignHost, smtp_server: Any
) -> None:
    _mailbox, port = smtp_server
    policy = reminder_policy.parse(
        {"steps": [{"process": "*", "step": "*", "reminders": []}], "channels": {"email": ["urge"]}}
    )
    problem = registered(db_session, host)  # an "assigned" notice: not sent by e-mail here
    done = outbox.deliver(bound_database, policy, [email_to(port)])
    assert (done.queued, done.sent) == (0, 0) and deliveries(db_session, problem) == []
    notice = db_session.scalars(
        select(Notification).where(Notification.work_item_id == open_step(db_session, problem).id)
    ).one()
    assert notice.queued_at is not None  # looked at once, never again


def test_channels_are_configured_from_the_environment_and_mistakes_refused() -> None:
    assert channels.from_env({}) == []
    [mail, sms] = channels.from_env(
        {
            "YKT_SMTP_HOST": "smtp.example.cn",
            "YKT_SMTP_STARTTLS": "1",
            "YKT_SMTP_FROM": FROM,
            "YKT_SMTP_USER": "ykt",
            "YKT_SMTP_PASSWORD": "pw",
            "YKT_SMS_URL": "https://sms.example.cn/send",
            "YKT_SMS_TOKEN": "t",
        }
    )
    assert isinstance(mail, EmailChannel) and (mail.port, mail.starttls) == (587, True)
    assert isinstance(sms, SmsGateway) and sms.timeout == 10
    with pytest.raises(InvalidInput, match="YKT_SMTP_FROM"):
        channels.from_env({"YKT_SMTP_HOST": "smtp.example.cn"})
    with pytest.raises(InvalidInput, match="YKT_SMS_URL"):
        channels.from_env({"YKT_SMS_URL": "file:///etc/passwd"})
    with pytest.raises(InvalidInput, match="YKT_SMTP_TIMEOUT"):
        channels.from_env({"YKT_SMTP_HOST": "h", "YKT_SMTP_FROM": FROM, "YKT_SMTP_TIMEOUT": "x"})
    with pytest.raises(InvalidInput, match="YKT_DELIVERY_ATTEMPTS"):
        outbox.retry_from_env({"YKT_DELIVERY_ATTEMPTS": "0"})
    assert outbox.retry_from_env({}).after(3) == timedelta(minutes=4)
    assert outbox.Retry(attempts=50).after(40) == timedelta(hours=6)
