"""Evidence uploaded for a task before it is completed (the API's way; the task page uploads
with the form): only whoever may act on the open task may add files to its case, and the file
passes the same checks as any upload (campaign.files.store)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from campaign import files
from campaign.actors import actor_for
from campaign.campaign_cases import ensure_case_open
from campaign.models import Attachment, User
from campaign.workflow_host import CampaignHost
from core.errors import Conflict, NotAllowed, NotFound
from engine.host import Assignment
from engine.models import WorkItem, WorkItemState


def store_for_task(
    session: Session,
    host: CampaignHost,
    data_dir: Path,
    user: User,
    item_id: int,
    filename: str,
    stream: IO[bytes],
) -> Attachment:
    item = session.get(WorkItem, item_id)
    if item is None:
        raise NotFound(f"任务不存在：{item_id}")
    ensure_case_open(session, item.case_id)
    if item.state != WorkItemState.OPEN.value:
        raise Conflict("该任务已办理完毕，不能再上传材料")
    if item.claimed_by is not None and item.claimed_by != user.id:
        raise Conflict("该任务已被他人认领")
    if not host.may_act(session, actor_for(user), Assignment(item.unit_id, item.role)):
        raise NotAllowed("您不能办理此任务，不能为它上传材料")
    return files.store(session, data_dir, user, item.case_id, filename, stream)
