"""Forms that must take effect once however often they are sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, UTCDateTime


class FormSubmission(Base):
    """The one-time token a form page carried, stored in the transaction that did the form's
    work: a second arrival of the same token finds it and is told what the first one did."""

    __tablename__ = "form_submission"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # What the first submission did, in words for the user, and where its result is.
    outcome: Mapped[str] = mapped_column(String(300), default="")
    location: Mapped[str] = mapped_column(String(300), default="")
