"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from web.api.openapi_filings import FILING_PATHS


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
FIELD_ERRORS = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "字段名 → 中文错误说明",
        },
    },
}
FINDINGS = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"element_id": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
TASK = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "case_id": {"type": "integer"},
        "step": {"type": "string"},
        "title": {"type": "string"},
        "form_key": {"type": "string"},
        "unit_id": {"type": ["integer", "null"]},
        "role": {"type": "string"},
        "state": {"type": "string", "enum": ["open", "completed", "cancelled"]},
        "claimed_by": {"type": ["integer", "null"]},
        "due_at": {"type": ["string", "null"], "format": "date-time"},
        "form": {"type": "object", "description": "表单定义：字段、中文标签、类型、是否必填、选项"},
    },
}
PROBLEM = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "number": {"type": "string", "example": "2022-QSZ-0001"},
        "case_id": {"type": "integer"},
        "unit": {"type": "string"},
        "village": {"type": ["string", "null"]},
        "programme": {"type": "string"},
        "stat_category": {"type": "string"},
        "focus_item": {"type": "string"},
        "description": {"type": "string"},
        "amount_fen": {"type": "integer", "description": "金额，单位：分"},
        "status": {"type": "string"},
        "recovered_fen": {"type": "integer", "description": "整改追缴收回资金，单位：分"},
        "returned_fen": {"type": "integer", "description": "整改返还发放资金，单位：分"},
        "rectified_on": {"type": ["string", "null"], "format": "date"},
        "counted": {"type": "boolean", "description": "是否计入附件2、附件3（审核通过且未作废）"},
        "void_reason": {"type": ["string", "null"]},
        "voided_at": {"type": ["string", "null"], "format": "date-time"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "history": {"type": "array", "items": {"type": "object"}},
    },
}
TOKEN = {
    "type": "object",
    "description": "令牌本身只在签发时显示一次，此处只有其开头",
    "properties": {
        "id": {"type": "integer"},
        "prefix": {"type": "string", "example": "ykt_Ab12Cd"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        "status": {"enum": ["active", "expired", "revoked"]},
    },
}
UNAUTHORIZED = {
    "400": _json(FIELD_ERRORS, "请求格式不正确（如页码不是 1 至 100000 的整数）"),
    "401": _json(ERROR, "没有令牌，或令牌无效、已过期、已吊销，或其账户被锁定、停用、须修改密码"),
    "403": _json(ERROR, "无权进行此操作"),
}
NOT_FOUND = {"404": _json(ERROR, "不存在，或不在您的单位和角色范围内")}
ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
PAGE = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}]
SCOPE = [
    {"name": "unit", "in": "query", "schema": {"type": "string"}, "description": "单位代码"},
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "惠民惠农“一卡通”专项治理平台 API",
        "version": "1",
        "description": "令牌由安全管理员签发：ykt user token 用户名；默认 90 天后过期"
        "（YKT_TOKEN_DAYS）。所有时间为 UTC，金额为分。",
    },
    "servers": [{"url": "/api/v1"}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/tasks": {
            "get": {
                "summary": "我的待办",
                "parameters": [
                    {
                        "name": "tab",
                        "in": "query",
                        "schema": {"enum": ["open", "claimed", "overdue", "done"]},
                    },
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    *PAGE,
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": TASK},
                                "total": {"type": "integer"},
                            },
                        },
                        "待办列表，按办理期限排序",
                    ),
                    **UNAUTHORIZED,
                },
            }
        },
        "/tasks/{id}": {
            "get": {
                "summary": "一个任务及其表单定义",
                "parameters": ID,
                "responses": {"200": _json(TASK, "任务"), **UNAUTHORIZED, **NOT_FOUND},
            }
        },
        "/tasks/{id}/claim": {
            "post": {
                "summary": "认领任务",
                "parameters": ID,
                "responses": {
                    "200": _json(TASK, "已认领"),
                    "409": _json(ERROR, "已办理或已被他人认领"),
                    **UNAUTHORIZED,
                    **NOT_FOUND,
                },
            }
        },
        "/tasks/{id}/complete": {
            "post": {
                "summary": "办理任务",
                "parameters": ID,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["data"],
                                "properties": {
                                    "data": {"type": "object", "description": "按表单定义填写"}
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object"}, "已办理，返回后续待办"),
                    "409": _json(ERROR, "已办理完毕，或已被他人认领"),
                    "422": _json(FIELD_ERRORS, "逐字段的校验错误"),
                    **UNAUTHORIZED,
                    **NOT_FOUND,
                },
            }
        },
        "/problems": {
            "get": {
                "summary": "问题台账（本人可见范围）",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "schema": {"type": "string"}},
                    *PAGE,
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": PROBLEM}},
                        },
                        "问题列表",
                    ),
                    **UNAUTHORIZED,
                },
            },
            "post": {
                "summary": "登记发现的问题并启动整改流程",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "重试同一请求时带相同的值，只登记一次",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["unit", "data"],
                                "properties": {
                                    "unit": {"type": "string"},
                                    "data": {"type": "object"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "number": {"type": "string"},
                                "case_id": {"type": "integer"},
                            },
                        },
                        "已登记",
                    ),
                    "409": _json(ERROR, "同一 Idempotency-Key 已登记过；location 指向已登记的问题"),
                    "422": _json(FIELD_ERRORS, "逐字段的校验错误"),
                    **UNAUTHORIZED,
                },
            },
        },
        "/problems/{id}": {
            "get": {
                "summary": "一个问题及其全部办理记录",
                "parameters": ID,
                "responses": {"200": _json(PROBLEM, "问题"), **UNAUTHORIZED, **NOT_FOUND},
            }
        },
        "/process-definitions": {
            "get": {
                "summary": "流程定义的全部版本（管理员）",
                "responses": {"200": _json({"type": "object"}, "版本列表"), **UNAUTHORIZED},
            },
            "post": {
                "summary": "部署流程定义（管理员）",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/xml": {"schema": {"type": "string"}},
                        "application/json": {
                            "schema": {"type": "object", "properties": {"xml": {"type": "string"}}}
                        },
                    },
                },
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {
                                "key": {"type": "string"},
                                "version": {"type": "integer"},
                            },
                        },
                        "新版本",
                    ),
                    "200": _json({"type": "object"}, "内容未变化，返回最新版本"),
                    "422": _json(FINDINGS, "流程图中每一处错误及其元素"),
                    **UNAUTHORIZED,
                },
            },
        },
        "/reports/attachment2.xlsx": {
            "get": {
                "summary": "附件2 问题统计表（Excel）",
                "parameters": SCOPE,
                "responses": {
                    "200": {"description": "Excel 文件", "content": {XLSX: {}}},
                    "422": _json(FIELD_ERRORS, "日期格式不正确"),
                    **UNAUTHORIZED,
                    **NOT_FOUND,
                },
            }
        },
        "/reports/attachment3.xlsx": {
            "get": {
                "summary": "附件3 问题情况汇总表（Excel）",
                "parameters": [
                    *SCOPE,
                    {"name": "by", "in": "query", "schema": {"enum": ["township"]}},
                ],
                "responses": {
                    "200": {"description": "Excel 文件", "content": {XLSX: {}}},
                    "422": _json(FIELD_ERRORS, "日期格式不正确"),
                    **UNAUTHORIZED,
                    **NOT_FOUND,
                },
            }
        },
        **FILING_PATHS,
        "/tokens": {
            "get": {
                "summary": "我的 API 令牌（含已过期、已吊销的）",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": TOKEN}},
                        },
                        "令牌列表，新签发的在前",
                    ),
                    **UNAUTHORIZED,
                },
            }
        },
        "/tokens/{id}": {
            "delete": {
                "summary": "吊销我的一个令牌（安全管理员可吊销任何人的）",
                "parameters": ID,
                "responses": {
                    "200": _json(TOKEN, "已吊销"),
                    "409": _json(ERROR, "此前已吊销"),
                    **UNAUTHORIZED,
                    **NOT_FOUND,
                },
            }
        },
        "/public/disclosures.json": {
            "get": {
                "summary": "公开公示（无需登录，已屏蔽个人信息）",
                "security": [],
                "parameters": [
                    {"name": "township", "in": "query", "schema": {"type": "string"}},
                    {"name": "programme", "in": "query", "schema": {"type": "string"}},
                    *PAGE,
                ],
                "responses": {
                    "200": _json({"type": "object"}, "公示列表"),
                    "400": _json(FIELD_ERRORS, "页码不是 1 至 100000 的整数"),
                },
            }
        },
    },
}
