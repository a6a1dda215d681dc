"""Evidence and comments on the API: upload a file for a task (multipart, the same size,
type and content checks as the task page) and name its id in the task's file field when
completing it; list and download a case's files; read and add a case's comments."""

from __future__ import annotations

from typing import Any

from flask import send_file, url_for
from flask.typing import ResponseReturnValue
from marshmallow import fields
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from campaign import files, records, submissions, task_files
from campaign.models import Attachment, Comment
from engine.models import WorkItem
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import BINARY, Answer, declare
from web.api.keys import claim_key
from web.authz import allow
from web.common import HOST, data_dir, found
from web.roles import WORKING_ROLES

UPLOAD_REFUSED = "请以 multipart/form-data 上传，文件放在 file 字段"


class Upload(s.Schema):
    file = fields.Raw(
        required=True,
        validate=lambda value: isinstance(value, FileStorage),
        error_messages={"required": UPLOAD_REFUSED, "validator_failed": UPLOAD_REFUSED},
        metadata={
            "type": "string",
            "format": "binary",
            "description": f"pdf、png、jpg、docx、xlsx、doc、xls、zip，不超过 "
            f"{files.MAX_FILE_BYTES // 1024 // 1024} MB，内容须与扩展名相符",
        },
    )


class FileInfo(s.Schema):
    id = fields.Integer(metadata={"description": "办理任务时，在表单的附件字段中给出此编号"})
    case_id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.Integer()
    uploaded_at = s.When()
    download = fields.String(metadata={"description": "下载地址"})


class NewComment(s.Body):
    text = s.Text(limit=2000, required=True, metadata={"description": "意见，1 至 2000 字"})


class CommentInfo(s.Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    author_id = fields.Integer()
    author = fields.String()
    text = fields.String()
    created_at = s.When()


def file_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "case_id": attachment.case_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": attachment.uploaded_by,
        "uploaded_at": attachment.uploaded_at.isoformat(),
        "download": url_for("api.download_file", attachment_id=attachment.id),
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "case_id": comment.case_id,
        "author_id": comment.author_id,
        "author": comment.author_name,
        "text": comment.text,
        "created_at": comment.created_at.isoformat(),
    }


def _case(case_id: int) -> int:
    if not records.may_see_case(db.session(), api_user(), case_id):
        found(None)
    return case_id


@bp.post("/tasks/<int:item_id>/files")
@allow(*WORKING_ROLES, api=True)
@declare(
    "为任务上传一份材料（证明材料）：返回的 id 填入表单的附件字段",
    {201: Answer("已上传；Location 为下载地址", FileInfo, headers=("Location",))},
    form=Upload,
    refusals=(403, 409, 413, 422),
    idempotent=True,
)
def upload_file(item_id: int, form: dict[str, Any]) -> ResponseReturnValue:
    item = found(db.session().get(WorkItem, item_id))
    _case(item.case_id)
    submission = claim_key()
    upload: FileStorage = form["file"]
    attachment = task_files.store_for_task(
        db.session(), HOST, data_dir(), api_user(), item_id, upload.filename or "", upload.stream
    )
    location = url_for("api.download_file", attachment_id=attachment.id)
    submissions.record(
        submission, f"已上传 {attachment.filename}（编号 {attachment.id}）。", location
    )
    return file_json(attachment), 201, {"Location": location}


@bp.get("/cases/<int:case_id>/files")
@allow(*WORKING_ROLES, api=True)
@declare("案件的全部材料", {200: Answer("材料", s.items_of(FileInfo, "Files"))})
def list_files(case_id: int) -> ResponseReturnValue:
    return {"items": [file_json(a) for a in files.of_case(db.session(), _case(case_id))]}


@bp.get("/files/<int:attachment_id>")
@allow(*WORKING_ROLES, api=True)
@declare(
    "下载一份材料（每次下载都记入审计日志）",
    # A file comes in its own type, one of those an upload may have.
    {200: Answer("文件", media_type=BINARY, also=tuple(sorted(set(files.CONTENT_TYPES.values()))))},
)
def download_file(attachment_id: int) -> Response:
    attachment = found(db.session().get(Attachment, attachment_id))
    _case(attachment.case_id)
    return send_file(
        files.download(db.session(), api_user(), data_dir(), attachment),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


@bp.get("/cases/<int:case_id>/comments")
@allow(*WORKING_ROLES, api=True)
@declare("案件的意见（按时间先后）", {200: Answer("意见", s.items_of(CommentInfo, "Comments"))})
def list_comments(case_id: int) -> ResponseReturnValue:
    rows = files.comments_of_case(db.session(), _case(case_id))
    return {"items": [comment_json(c) for c in rows]}


@bp.post("/cases/<int:case_id>/comments")
@allow(*WORKING_ROLES, api=True)
@declare(
    "为案件添加一条意见",
    {201: Answer("已添加", CommentInfo, headers=("Location",))},
    body=NewComment,
    refusals=(422,),
    idempotent=True,
)
def add_comment(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    _case(case_id)
    submission = claim_key()
    comment = files.add_comment(db.session(), api_user(), case_id, body["text"])
    location = url_for("api.list_comments", case_id=case_id)
    submissions.record(submission, "意见已添加。", location)
    return comment_json(comment), 201, {"Location": location}
