"""The OpenAPI description of the filed tables' calls (报送留档), merged into web.api.openapi."""

from __future__ import annotations

from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


FILING = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "table": {"enum": ["attachment2", "attachment3", "attachment3_township"]},
        "table_label": {"type": "string", "example": "附件2 问题统计表"},
        "campaign_id": {"type": "integer"},
        "unit": {"type": "string", "description": "填表单位的代码"},
        "filing_unit": {"type": "string", "description": "填表单位"},
        "date_from": {"type": ["string", "null"], "format": "date"},
        "date_to": {"type": ["string", "null"], "format": "date"},
        "period": {"type": "string"},
        "version": {"type": "integer", "description": "同一范围、同一时段的第几次报送"},
        "filer": {"type": "string", "description": "填表人"},
        "reviewer": {"type": "string", "description": "审核人"},
        "filed_on": {"type": "string", "format": "date", "description": "填报日期"},
        "figures_sha256": {"type": "string", "description": "报送数字（规范化 JSON）的 SHA-256"},
        "workbook_sha256": {"type": "string", "description": "报送 Excel 原件的 SHA-256"},
    },
}
CHANGE = {
    "type": "object",
    "properties": {
        "row": {"type": "string"},
        "row_name": {"type": "string"},
        "column": {"type": "string"},
        "column_name": {"type": "string"},
        "measure": {"enum": ["money", "count", "cards"]},
        "filed": {"type": ["integer", "null"], "description": "报送时：金额为分，其余为数量"},
        "current": {"type": ["integer", "null"], "description": "现在"},
    },
}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_REFUSED = {
    "401": _json(ERROR, "没有令牌，或令牌无效"),
    "403": _json(ERROR, "无权进行此操作"),
    "404": _json(ERROR, "不存在，或不在您的单位和角色范围内"),
}

FILING_PATHS: dict[str, Any] = {
    "/reports/filings": {
        "get": {
            "summary": "报送留档列表（新的在前，每页 20 份）",
            "parameters": [
                {"name": "unit", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "array", "items": FILING},
                            "total": {"type": "integer"},
                            "page": {"type": "integer"},
                            "pages": {"type": "integer"},
                        },
                    },
                    "报送留档",
                ),
                **_REFUSED,
            },
        }
    },
    "/reports/filings/{id}": {
        "get": {
            "summary": "一份报送留档：校验结果，及此后数字有变化的单元格",
            "parameters": _ID,
            "responses": {
                "200": _json(
                    {
                        "allOf": [
                            FILING,
                            {
                                "type": "object",
                                "properties": {
                                    "verified": {"type": "boolean"},
                                    "faults": {"type": "array", "items": {"type": "string"}},
                                    "changes": {"type": "array", "items": CHANGE},
                                },
                            },
                        ]
                    },
                    "报送留档",
                ),
                **_REFUSED,
            },
        }
    },
    "/reports/filings/{id}.xlsx": {
        "get": {
            "summary": "报送时的 Excel 原件（逐字节不变）",
            "parameters": _ID,
            "responses": {
                "200": {"description": "Excel 文件", "content": {XLSX: {}}},
                "409": _json(ERROR, "留档校验未通过，不能作为原件下载"),
                **_REFUSED,
            },
        }
    },
}
