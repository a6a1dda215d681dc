"""The shapes of the API shared by its views: fields with Chinese messages, the one error
shape, pages, tasks and problems. Each view's own request and answer shapes are declared
beside it (web.api.*), all with these building blocks."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from core.days import NOT_A_DAY, NotADay, read_day
from core.db import MAX_ID
from core.paging import MAX_PAGE, MAX_PER_PAGE, PAGE_REFUSED, PER_PAGE_REFUSED

TEXT_LIMIT = 200


def _messages(kind: str) -> dict[str, Any]:
    return {
        "required": "必填",
        "null": "不能为空值（null）",
        "invalid": kind,
    }


def Text(*, limit: int = TEXT_LIMIT, **options: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(max=limit, error=f"不能超过 {limit} 个字符"),
        error_messages=_messages("须为文本"),
        **options,
    )


def Code(**options: Any) -> fields.String:
    """A code of reference data (unit QSZ, programme P01, category S01, focus item 1.1)."""
    return Text(limit=64, **options)


def Whole(*, low: int = 0, high: int = MAX_ID, **options: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(low, high, error=f"须为 {low} 至 {high} 之间的整数"),
        error_messages=_messages("须为整数"),
        **options,
    )


def RowId(**options: Any) -> fields.Integer:
    return Whole(low=1, high=MAX_ID, **options)


def When(**options: Any) -> fields.String:
    """A time, UTC, ISO 8601 (answers only: the value is formatted by the view)."""
    options["metadata"] = {"format": "date-time", **options.get("metadata", {})}
    return fields.String(**options)


def Day(**options: Any) -> fields.String:
    options["metadata"] = {"format": "date", **options.get("metadata", {})}
    return fields.String(**options)


class _DayAsked(fields.Field[date]):
    """A day a request names, read as every form reads it (core.days.read_day)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return read_day(value)
        except NotADay as refused:
            raise ValidationError(str(refused)) from None


def DayAsked(**options: Any) -> fields.Field[date]:
    """A day in a query or a body: `2022-06-10`, or another spelling an officer types."""
    options["metadata"] = {"type": "string", "format": "date", **options.get("metadata", {})}
    return _DayAsked(error_messages=_messages(NOT_A_DAY), **options)


def Choice(values: list[str], **options: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(values, error="须为以下之一：" + "、".join(values)),
        error_messages=_messages("须为文本"),
        **options,
    )


def Object(**options: Any) -> fields.Dict:
    return fields.Dict(keys=fields.String(), error_messages=_messages("须为 JSON 对象"), **options)


class Query(Schema):
    """A query string: unknown parameters are ignored, as browsers and proxies add some."""

    class Meta:
        unknown = EXCLUDE


class Body(Schema):
    """A JSON body: a field this document does not name is refused, not ignored."""

    class Meta:
        unknown = RAISE


class Paged(Query):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(1, MAX_PAGE, error=PAGE_REFUSED),
        error_messages={"invalid": PAGE_REFUSED, "null": PAGE_REFUSED},
        metadata={"description": f"页码，1 至 {MAX_PAGE}"},
    )
    per_page = fields.Integer(
        load_default=None,
        validate=validate.Range(1, MAX_PER_PAGE, error=PER_PAGE_REFUSED),
        error_messages={"invalid": PER_PAGE_REFUSED, "null": PER_PAGE_REFUSED},
        metadata={"description": f"每页条数，1 至 {MAX_PER_PAGE}；不给则按各列表的默认条数"},
    )


class Finding(Schema):
    element_id = fields.String()
    message = fields.String()


class Error(Schema):
    """Every refusal and failure answers with this shape, in Chinese."""

    error = fields.String(required=True, metadata={"description": "中文说明"})
    field_errors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        data_key="fields",
        metadata={"description": "出错的字段 → 中文说明（'' 指整体）"},
    )
    findings = fields.List(fields.Nested(Finding), metadata={"description": "流程图的每一处错误"})
    location = fields.String(metadata={"description": "重复提交时：第一次提交的结果"})


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of a list: items, how many in all, this page, its size and how many pages."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "total": fields.Integer(
                required=True,
                metadata={"description": "共多少条；total_exact 为 false 时是下限（实际更多）"},
            ),
            "total_exact": fields.Boolean(
                required=True,
                metadata={
                    "description": "total 是否为确数。问题台账和待办只数到一个上限"
                    "（至少 1,000 条，且不少于本页末条的序号），超过时为 false："
                    "total 和 pages 都是下限，后面还有页"
                },
            ),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "pages": fields.Integer(
                required=True, metadata={"description": "页数；total_exact 为 false 时是下限"}
            ),
        },
        name=name,
    )


def page_answer(items: list[Any], found: Any) -> dict[str, Any]:
    """The answer for a page_of schema, from a core.paging.Page (or the inbox's page)."""
    return {
        "items": items,
        "total": found.total,
        "total_exact": getattr(found, "exact", True),
        "page": found.number,
        "per_page": found.per_page,
        "pages": found.pages,
    }


def items_of(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item), required=True)}, name=name)


class Subject(Schema):
    type = fields.String(allow_none=True)
    id = fields.Integer(allow_none=True)


class Task(Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    step = fields.String(required=True)
    title = fields.String(required=True)
    form_key = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    role = fields.String(allow_none=True)
    state = fields.String(required=True, metadata={"enum": ["open", "completed", "cancelled"]})
    claimed_by = fields.Integer(allow_none=True)
    due_at = When(allow_none=True)
    created_at = When()
    version = fields.String(
        required=True,
        metadata={"description": "任务的版本（与 ETag 相同）：办理时以 If-Match 带上，过期得 412"},
    )


class ListedTask(Task):
    subject = fields.String(metadata={"description": "所办事项的简述"})


class TaskDetail(Task):
    form = fields.Dict(
        allow_none=True, metadata={"description": "表单定义：字段、中文标签、类型、是否必填、选项"}
    )
    process = fields.String()
    subject = fields.Nested(Subject)


class HistoryEvent(Schema):
    at = When()
    kind = fields.String()
    step = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    message = fields.String(allow_none=True)


class Problem(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "2022-QSZ-0001"})
    case_id = fields.Integer(allow_none=True)
    unit = fields.String()
    village = fields.String(allow_none=True, metadata={"description": "村（社区）代码；可无"})
    source = fields.String()
    programme = fields.String()
    focus_item = fields.String()
    stat_category = fields.String()
    description = fields.String()
    amount_fen = fields.Integer(metadata={"description": "金额，单位：分"})
    cards = fields.Integer(allow_none=True)
    households = fields.Integer(allow_none=True)
    persons = fields.Integer(allow_none=True)
    discovered_on = Day()
    status = fields.String()
    status_label = fields.String()
    responsible_unit = fields.String(allow_none=True)
    deadline = Day(allow_none=True)
    recovered_fen = fields.Integer(metadata={"description": "整改追缴收回资金，单位：分"})
    returned_fen = fields.Integer(metadata={"description": "整改返还发放资金，单位：分"})
    rectified_on = Day(allow_none=True)
    counted = fields.Boolean(metadata={"description": "是否计入附件2、附件3"})
    void_reason = fields.String(allow_none=True)
    voided_at = When(allow_none=True)
    closed_at = When(allow_none=True)


class ProblemDetail(Problem):
    history = fields.List(fields.Nested(HistoryEvent))
