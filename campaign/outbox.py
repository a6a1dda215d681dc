"""The outbox: notices going out by e-mail and SMS, one row per notice and channel.

A notice is made in the transaction of the work it is about (a completed task, a reminder);
nothing is sent there. The scheduler's deliverer then, in transactions of its own:

1. queues new notices: one `delivery` row per channel the policy sends that kind of notice
   through and the person has an address for (claimed with `queued_at`, so two deliverers
   never queue a notice twice);
2. claims due rows for a while (next_attempt_at moves past the claim), commits, and only
   then talks to the SMTP server or the gateway, outside any transaction;
3. records each outcome: sent; or tried again after 1, 2, 4… minutes (YKT_DELIVERY_RETRY_SECONDS
   doubled after each attempt, at most 6 hours), and given up as failed after
   YKT_DELIVERY_ATTEMPTS attempts (default 5).

A channel that fails is not tried again in the same round, so a dead or slow server costs a
round one timeout, not one per notice; its other rows wait for the next round unattempted."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaign import notice_texts
from campaign.channels import Channel, DeliveryFailed
from campaign.models import Delivery, Notification, User
from campaign.models.notifications import DeliveryStatus
from campaign.reminder_policy import Policy
from core import clock
from core.db import Database
from core.errors import InvalidInput
from core.numbers import whole

log = logging.getLogger(__name__)

QUEUE_BATCH = 500
SEND_BATCH = 50
CLAIM = timedelta(minutes=5)  # a deliverer that dies mid-send leaves its rows for this long
MAX_BACKOFF = timedelta(hours=6)
ROUND_SECONDS = 20.0  # a round stops claiming more after this long


@dataclass(frozen=True)
class Retry:
    attempts: int = 5
    first: timedelta = timedelta(seconds=60)

    def after(self, attempts: int) -> timedelta:
        return min(MAX_BACKOFF, self.first * 2 ** max(0, attempts - 1))


def retry_from_env(environ: Mapping[str, str] | None = None) -> Retry:
    env = os.environ if environ is None else environ
    attempts_text = env.get("YKT_DELIVERY_ATTEMPTS", "5").strip()
    first_text = env.get("YKT_DELIVERY_RETRY_SECONDS", "60").strip()
    attempts, first = whole(attempts_text), whole(first_text)
    if attempts is None or not 1 <= attempts <= 50:
        raise InvalidInput(f"YKT_DELIVERY_ATTEMPTS 须为 1 至 50 的整数：{attempts_text!r}")
    if first is None or not 1 <= first <= 86400:
        raise InvalidInput(f"YKT_DELIVERY_RETRY_SECONDS 须为 1 至 86400 的整数：{first_text!r}")
    return Retry(attempts, timedelta(seconds=first))


def queue(
    session: Session, policy: Policy, channels: Sequence[Channel], limit: int = QUEUE_BATCH
) -> int:
    """Put the next new notices in the outbox; the number of delivery rows made."""
    now = clock.now()
    waiting = list(
        session.scalars(
            select(Notification.id)
            .where(Notification.queued_at.is_(None))
            .order_by(Notification.id)
            .limit(limit)
        )
    )
    if not waiting:
        return 0
    taken = set(
        session.scalars(
            update(Notification)
            .where(Notification.id.in_(waiting), Notification.queued_at.is_(None))
            .values(queued_at=now)
            .returning(Notification.id)
        )
    )
    rows = session.execute(
        select(Notification.id, Notification.kind, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(taken), User.enabled.is_(True))
    ).all()
    made = 0
    for notification_id, kind, person in rows:
        for channel in channels:
            address = channel.address_of(person).strip()
            if address and policy.sends(channel.name, notice_texts.family_of(kind)):
                session.add(
                    Delivery(
                        notification_id=notification_id,
                        channel=channel.name,
                        address=address,
                        status=DeliveryStatus.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                made += 1
    session.flush()
    return made


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str
    address: str
    subject: str
    text: str


def claim(session: Session, channels: Sequence[str], limit: int = SEND_BATCH) -> list[Outgoing]:
    """Due rows of these channels, held for CLAIM so no other deliverer sends them too."""
    now = clock.now()
    due = list(
        session.scalars(
            select(Delivery.id)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
                Delivery.channel.in_(channels),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
    )
    if not due:
        return []
    held = set(
        session.scalars(
            update(Delivery)
            .where(
                Delivery.id.in_(due),
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM)
            .returning(Delivery.id)
        )
    )
    rows = session.execute(
        select(
            Delivery.id, Delivery.channel, Delivery.address, Notification.kind, Notification.text
        )
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.id.in_(held))
        .order_by(Delivery.next_attempt_at, Delivery.id)
    )
    return [
        Outgoing(row.id, row.channel, row.address, notice_texts.label_of(row.kind), row.text)
        for row in rows
    ]


def settle(session: Session, delivery_id: int, error: str | None, retry: Retry) -> str:
    """The outcome of one attempt: sent, pending (tried again later) or failed (given up)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return delivery.status if delivery else DeliveryStatus.FAILED
    now = clock.now()
    delivery.attempts += 1
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, now, ""
    else:
        delivery.last_error = error[:500]
        if delivery.attempts >= retry.attempts:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + retry.after(delivery.attempts)
    session.flush()
    return delivery.status


def release(session: Session, delivery_ids: Sequence[int]) -> None:
    """Rows claimed but not attempted this round: due again at once, no attempt counted."""
    if delivery_ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(delivery_ids), Delivery.status == DeliveryStatus.PENDING)
            .values(next_attempt_at=clock.now())
        )


@dataclass
class Round:
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: list[str] = field(default_factory=list)  # channels that failed this round


def deliver(
    database: Database,
    policy: Policy,
    channels: Sequence[Channel],
    retry: Retry | None = None,
    *,
    budget_seconds: float = ROUND_SECONDS,
) -> Round:
    """One round of the deliverer: queue new notices, then send what is due."""
    retry = retry or Retry()
    result = Round()
    with database.transaction() as session:
        result.queued = queue(session, policy, channels)
    by_name = {c.name: c for c in channels}
    started = time.monotonic()
    while by_name and time.monotonic() - started < budget_seconds:
        with database.transaction() as session:
            batch = claim(session, sorted(by_name))
        if not batch:
            break
        untried: list[int] = []
        for outgoing in batch:
            channel = by_name.get(outgoing.channel)
            if channel is None or time.monotonic() - started >= budget_seconds:
                untried.append(outgoing.id)
                continue
            error = _attempt(channel, outgoing)
            with database.transaction() as session:
                outcome = settle(session, outgoing.id, error, retry)
            if error is None:
                result.sent += 1
                continue
            result.failed += outcome == DeliveryStatus.FAILED
            result.retried += outcome == DeliveryStatus.PENDING
            log.warning("delivery %s by %s failed: %s", outgoing.id, outgoing.channel, error)
            by_name.pop(outgoing.channel, None)  # not again this round
            result.skipped.append(outgoing.channel)
        with database.transaction() as session:
            release(session, untried)
    return result


def _attempt(channel: Channel, outgoing: Outgoing) -> str | None:
    try:
        channel.send(outgoing.address, outgoing.subject, outgoing.text)
    except DeliveryFailed as error:
        return str(error) or "发送失败"
    except Exception as error:  # a channel's own bug must not stop the others
        log.exception("channel %s raised", outgoing.channel)
        return f"{type(error).__name__}: {error}"
    return None
