"""The OpenAPI description of starting cases, reading one and delivering messages; added to
the description served at /api/v1/openapi.json (web.api.openapi)."""

from __future__ import annotations

from typing import Any

from web.api.openapi import ERROR, FIELD_ERRORS, ID, NOT_FOUND, SPEC, UNAUTHORIZED, _json

IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "重试同一请求时带相同的值，只处理一次；再次提交得到 409 和第一次的结果",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
WAIT = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["message", "timer", "signal"]},
        "step": {"type": "string"},
        "title": {"type": "string"},
        "message": {"type": "string", "description": "消息名称（kind 为 message）"},
        "key": {"type": ["string", "null"], "description": "关联键的值"},
        "due_at": {"type": ["string", "null"], "format": "date-time"},
        "signal": {"type": "string"},
    },
}
CASE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "process": {"type": "string"},
        "version": {"type": "integer"},
        "status": {"enum": ["running", "waiting", "completed", "error", "cancelled"]},
        "waiting_for": {"type": "array", "items": WAIT, "description": "案件在等待什么"},
        "open_tasks": {"type": "array", "items": {"type": "object"}},
        "history": {"type": "array", "items": {"type": "object"}},
    },
}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PATHS: dict[str, Any] = {
    "/cases": {
        "post": {
            "summary": "发起流程：以本人身份为某单位发起一个案件（须有开始事件所在泳道的角色）",
            "parameters": [IDEMPOTENCY],
            "requestBody": _body(
                {
                    "process": {"type": "string", "description": "流程标识（流程 id）"},
                    "unit": {"type": "string", "description": "单位代码"},
                    "data": {
                        "type": "object",
                        "description": "开始表单的内容，或无表单时的初始数据",
                    },
                },
                ["process", "unit"],
            ),
            "responses": {
                "201": _json(CASE, "已发起；Location 指向案件"),
                "400": _json(ERROR, "请求体不是 JSON 对象"),
                "403": _json(ERROR, "无权发起该流程（说明原因）"),
                "409": _json(ERROR, "同一 Idempotency-Key 已提交过"),
                "422": _json(FIELD_ERRORS, "单位不存在、表单或数据有误"),
                **UNAUTHORIZED,
                **NOT_FOUND,
            },
        }
    },
    "/cases/{id}": {
        "get": {
            "summary": "案件详情：状态、在等待什么（消息及关联键、定时器到期、信号）、待办、历史",
            "parameters": ID,
            "responses": {"200": _json(CASE, "案件"), **UNAUTHORIZED, **NOT_FOUND},
        }
    },
    "/messages": {
        "post": {
            "summary": "从外部发送消息：送达以该关联键等待它的案件；无人等待时启动以它开始的流程",
            "parameters": [IDEMPOTENCY],
            "requestBody": _body(
                {
                    "name": {"type": "string"},
                    "key": {"type": "string"},
                    "data": {"type": "object"},
                    "unit": {"type": "string", "description": "由消息启动的案件属于哪个单位"},
                },
                ["name"],
            ),
            "responses": {
                "200": _json(
                    {"type": "object"}, '已送达：{"result": "delivered", "delivered": [案件编号]}'
                ),
                "201": _json(
                    {"type": "object"}, '已启动案件：{"result": "started", "started": [案件编号]}'
                ),
                "403": _json(ERROR, "只有领导小组办公室和系统管理员可以发送"),
                "404": _json(ERROR, "没有案件在等待这条消息，也没有流程由它启动"),
                "409": _json(ERROR, "同一 Idempotency-Key 已提交过"),
                "422": _json(FIELD_ERRORS, "名称、关联键或数据有误"),
                **UNAUTHORIZED,
            },
        }
    },
}

SPEC["paths"].update(PATHS)
