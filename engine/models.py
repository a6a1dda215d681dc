"""Engine tables: immutable definition versions, cases, work items, timers, case events and
the scheduler lease. Units and users appear as plain ids: the engine knows nothing of them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.db import Base, UTCDateTime


class CaseStatus(StrEnum):
    RUNNING = "running"  # has work a person can do now
    WAITING = "waiting"  # waits only for timers or messages
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"


class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    # Large columns load only when asked for, so lists and joins stay cheap.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    # What the version calls, as it was when the version was deployed (engine.bundles): the
    # diagrams of the processes its call activities name and the decision tables of its
    # business rule tasks, as JSON; "" when it calls nothing. A version never changes.
    bundle: Mapped[str] = mapped_column(Text, deferred=True, default="", server_default="")
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def label(self) -> str:
        """For operators (command line, audit records): the key and version."""
        return f"{self.key} v{self.version}"

    @property
    def title(self) -> str:
        """For people on a page or in a history: the name and version, in Chinese."""
        return f"{self.name}（第{self.version}版）"


class DecisionDefinition(Base):
    """A DMN decision (one decision table), deployed alone or beside a diagram; versions are
    immutable like a process definition's. Processes copy the one they use into their own
    version when they are deployed (ProcessDefinition.bundle)."""

    __tablename__ = "decision_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    dmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def label(self) -> str:
        return f"{self.key} v{self.version}"


class Case(Base):
    __tablename__ = "case_instance"
    __table_args__ = (Index("ix_case_instance_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The serialized workflow without its spec (restored from the definition's cached spec).
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    owning_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    responsible_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Read only: whoever sets it sets definition_id too. A relationship the unit of work
    # writes through is weighed on every flush (a third of a completion's flush).
    definition: Mapped[ProcessDefinition] = relationship(viewonly=True)

    # Every UPDATE checks and bumps lock_version: a writer that loaded an older row fails.
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 (read by SQLAlchemy)


class WorkItemState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the task left READY without being completed (e.g. interrupted)


class WorkItem(Base):
    """A READY manual task, projected so that inboxes are plain indexed SQL."""

    __tablename__ = "work_item"
    __table_args__ = (
        UniqueConstraint("case_id", "task_guid"),
        # claimed_by last: counting an inbox (claimed by nobody or by me) reads the index
        # alone, not a table row per item (190,000 of them for a province's office).
        Index("ix_work_item_inbox", "state", "unit_id", "role", "due_at", "id", "claimed_by"),
        Index("ix_work_item_claimed", "state", "claimed_by", "due_at"),
        Index("ix_work_item_overdue", "state", "due_at"),
        # A person's 已办 (the home page's recently done, the inbox's done tab): their
        # completed items, newest first, read from the newest end (migration 0041).
        Index(
            "ix_work_item_done",
            "completed_by",
            "completed_at",
            postgresql_where=text("state = 'completed'"),
            sqlite_where=text("state = 'completed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
    lane: Mapped[str] = mapped_column(String(100), default="")
    unit_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=WorkItemState.OPEN.value)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[int | None] = mapped_column(Integer)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_by: Mapped[int | None] = mapped_column(Integer)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(viewonly=True)  # read only, as Case.definition


class Timer(Base):
    """A waiting timer of a case, projected so the scheduler finds due ones by index."""

    __tablename__ = "case_timer"
    __table_args__ = (UniqueConstraint("case_id", "task_guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    # The user task the timer is attached to, for boundary timers.
    attached_to: Mapped[str] = mapped_column(String(100), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The timer's name, for the history entry when it falls due.
    title: Mapped[str] = mapped_column(String(200), default="")
    # A deadline mark (engine.deadline_marks): falling due runs nothing, so the sweep records
    # it with set-based statements instead of running the case; marked_at says it did.
    marks_only: Mapped[bool] = mapped_column(Boolean, default=False)
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseEvent(Base):
    """Append-only history of a case: what happened, who did it, with what data."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    bpmn_id: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")


class SchedulerLease(Base):
    """Who may run the scheduler now; taken and renewed with a conditional UPDATE."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageWait(Base):
    """A message a case waits for (a catch event, receive task or boundary event), projected
    so that a delivery finds the cases by name and key without loading any workflow."""

    __tablename__ = "case_message_wait"
    __table_args__ = (
        UniqueConstraint("case_id", "task_guid"),
        Index("ix_case_message_wait_name_key", "name", "correlation_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # The key's value as text ("" when the element has none: any key reaches it).
    correlation_key: Mapped[str] = mapped_column(String(200), default="")
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class TimerStart(Base):
    """One due time of a process's timer start event, and the case it started. The unique
    key makes a due time start one case, however many schedulers reach it."""

    __tablename__ = "timer_start"
    __table_args__ = (UniqueConstraint("process_key", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
