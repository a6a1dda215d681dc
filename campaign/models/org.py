"""Units of the organisation, as a tree with stable codes."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base


class UnitKind(StrEnum):
    DISTRICT = "district"
    BUREAU = "bureau"
    OFFICE = "office"
    DEPARTMENT = "department"
    TOWNSHIP = "township"
    VILLAGE = "village"
    DISCIPLINE = "discipline"
    INSPECTION_TEAM = "inspection_team"

    @property
    def label(self) -> str:
        return UNIT_KIND_LABELS[self]


UNIT_KIND_LABELS = {
    UnitKind.DISTRICT: "区",
    UnitKind.BUREAU: "局",
    UnitKind.OFFICE: "科室/办公室",
    UnitKind.DEPARTMENT: "区直部门",
    UnitKind.TOWNSHIP: "乡镇",
    UnitKind.VILLAGE: "村（社区）",
    UnitKind.DISCIPLINE: "纪检监察机关",
    UnitKind.INSPECTION_TEAM: "检查专班",
}


class Unit(Base):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The code appears in ledger numbers (2022-<code>-0001), so it never changes.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(
        back_populates="parent", order_by="Unit.sort_order, Unit.code"
    )

    @property
    def kind_label(self) -> str:
        return UnitKind(self.kind).label

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"
