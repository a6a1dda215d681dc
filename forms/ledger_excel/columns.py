"""The ledger sheet's columns and the data passed in to fill and read it: forms/ knows no
database, so the campaign hands over the choice lists and the rows.

Two layouts share the sheet 问题台账: the import template (COLUMNS, what an import takes) and
the ledger download (LEDGER_COLUMNS: the template's columns and the 整改台账's, the number,
the rectification and the status). The reader maps columns by their header, so the download
imports again and the columns it does not take are named and left alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

SHEET = "问题台账"
LIST_SHEET = "选项"
HELP_SHEET = "填写说明"

SOURCE = "问题来源"
UNIT = "乡镇（单位）"
VILLAGE = "村（社区）"
PROGRAMME = "补贴项目"
CATEGORY = "问题类别"
FOCUS = "整治重点"
DESCRIPTION = "问题描述"
AMOUNT = "涉及金额（元）"
CARDS = "违规代管一卡通数量（张）"
HOUSEHOLDS = "涉及户数"
PERSONS = "涉及人数"
DISCOVERED = "发现日期"
RESPONSIBLE_UNIT = "责任单位"
RESPONSIBLE_PERSON = "责任人"
DEADLINE = "整改时限"
# The 整改台账's own columns: the lifecycle's, never imported.
NUMBER = "台账编号"
RECTIFY_TYPE = "整改类型"
MEASURES = "整改措施"
STATUS = "状态"
MEASURES_TAKEN = "整改落实情况"
RECOVERED = "追缴收回资金（元）"
RETURNED = "返还发放资金（元）"
RECTIFIED = "整改完成日期"
CLOSED = "销号日期"
CLUES = "线索编号"

COLUMNS: tuple[str, ...] = (
    SOURCE,
    UNIT,
    VILLAGE,
    PROGRAMME,
    CATEGORY,
    FOCUS,
    DESCRIPTION,
    AMOUNT,
    CARDS,
    HOUSEHOLDS,
    PERSONS,
    DISCOVERED,
    RESPONSIBLE_UNIT,
    RESPONSIBLE_PERSON,
    DEADLINE,
)
# Added after the first templates went out: a sheet without it still imports (0 persons).
OPTIONAL_COLUMNS = frozenset({PERSONS})
LEDGER_COLUMNS: tuple[str, ...] = (
    NUMBER,
    SOURCE,
    UNIT,
    VILLAGE,
    PROGRAMME,
    CATEGORY,
    FOCUS,
    DESCRIPTION,
    AMOUNT,
    CARDS,
    HOUSEHOLDS,
    PERSONS,
    DISCOVERED,
    RESPONSIBLE_UNIT,
    RESPONSIBLE_PERSON,
    RECTIFY_TYPE,
    MEASURES,
    DEADLINE,
    STATUS,
    MEASURES_TAKEN,
    RECOVERED,
    RETURNED,
    RECTIFIED,
    CLOSED,
    CLUES,
)
REQUIRED = frozenset({SOURCE, UNIT, PROGRAMME, CATEGORY, FOCUS, DESCRIPTION, DISCOVERED})

# How each column is filled in, for the template's 填写说明 sheet.
HELP: Mapping[str, str] = {
    SOURCE: "必填。从下拉列表选择。",
    UNIT: "必填。登记台账的乡镇或区直单位，从下拉列表选择（也可填单位代码）。",
    VILLAGE: "选填。须为所填乡镇下属的村（社区），填名称或代码。",
    PROGRAMME: "必填。从下拉列表选择（也可填项目代码，如 P11）。",
    CATEGORY: "必填。附件2问题统计表的问题类别，从下拉列表选择（也可填代码，如 S02）。",
    FOCUS: "必填。整治重点，从下拉列表选择，或只填编号（如 3.3）。",
    DESCRIPTION: "必填。不超过 4000 字。",
    AMOUNT: "选填，默认 0。单位为元，最多两位小数，不能为负数。",
    CARDS: "选填，默认 0。整数。",
    HOUSEHOLDS: "选填，默认 0。整数。",
    PERSONS: "选填，默认 0。整数。（早期模板没有此列，仍可导入。）",
    DISCOVERED: "必填。日期，如 2022-06-10，不能晚于今天。",
    RESPONSIBLE_UNIT: "选填。拟定的整改责任单位，审核人审核时确认或修改。",
    RESPONSIBLE_PERSON: "选填。拟定的整改责任人。",
    DEADLINE: "选填。拟定的整改时限（日期），不能早于发现日期。",
}

# The download's columns that an import does not take, for its 填写说明 sheet.
LEDGER_HELP: Mapping[str, str] = {
    NUMBER: "台账编号，登记时生成。",
    RECTIFY_TYPE: "审核时确定的整改类型。",
    MEASURES: "审核时确定的整改措施。",
    STATUS: "当前状态；已作废的附作废理由；整改中超过整改时限的标“逾期”。",
    MEASURES_TAKEN: "责任单位填报的整改落实情况。",
    RECOVERED: "整改中追缴收回的资金（元），不含纪检监察机关另行登记的。",
    RETURNED: "整改中返还发放给群众的资金（元），不含纪检监察机关另行登记的。",
    RECTIFIED: "责任单位填报的整改完成日期（重新打开后再次整改完成前为空）。",
    CLOSED: "销号日期（北京时间）。",
    CLUES: "移送纪检监察机关的问题线索编号。",
}
NOT_IMPORTED_NOTE = (
    "台账编号、状态、整改和销号情况等列属于问题的办理过程，导入时不读取："
    "导入的每一行都登记为新问题，重新编号并进入“待审核”。"
)

Options = tuple[tuple[str, str], ...]  # (code, label) pairs


@dataclass(frozen=True)
class LedgerChoices:
    """The valid values, as (code, label); villages by the code of the unit they belong to."""

    sources: Options
    units: Options
    programmes: Options
    categories: Options
    focus_items: Options
    responsible_units: Options
    villages: Mapping[str, Options] = field(default_factory=dict)
    # Units the importing person may not register for, with the reason to show.
    unit_refusals: Mapping[str, str] = field(default_factory=dict)


def focus_label(code: str, name: str) -> str:
    """How an 整治重点 item reads in the sheet: its number, then its name."""
    return f"{code} {name}"


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry as the sheet shows it: labels, not codes."""

    source: str
    unit: str
    village: str
    programme: str
    category: str
    focus_item: str
    description: str
    amount_fen: int
    cards: int
    households: int
    discovered_on: date
    responsible_unit: str = ""
    responsible_person: str = ""
    deadline: date | None = None
    # The 整改台账's columns (LEDGER_COLUMNS), filled for the download.
    persons: int = 0
    number: str = ""
    rectify_type: str = ""
    measures: str = ""
    status: str = ""
    measures_taken: str = ""
    recovered_fen: int = 0
    returned_fen: int = 0
    rectified_on: date | None = None
    closed_on: date | None = None
    clues: str = ""


@dataclass(frozen=True)
class RowError:
    """A reason a row cannot be imported; row 1 is the header."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f"“{self.column}”" if self.column else "")
        return f"{where}：{self.reason}"
