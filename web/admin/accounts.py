"""账户和角色: the security administrator's pages (等保 三员). The rules are campaign.duties':
only a security administrator, never on their own account, and a second one approves any
change to a system, security or audit administrator."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import account_lists, contacts, duties, org, tokens
from campaign.models import AccountRequest, ApiToken, User
from campaign.models.accounts import ROLE_LABELS, TOKEN_STATUS_LABELS
from core import clock, paging
from core.errors import AppError, MalformedRequest
from web import db, errors
from web.admin.blueprint import bp
from web.authz import allow
from web.common import found, me
from web.roles import SECURITY

NEW_ACCOUNT_FIELDS = ("username", "full_name", "unit", "role")


@bp.get("/users")
@allow(SECURITY)
def users() -> str:
    return _page()


def _page(
    new_account: dict[str, str] | None = None,
    refused: str = "",
    row: dict[str, Any] | None = None,
) -> str:
    """The page; after a refused new account, with what was typed (not the password) and why;
    after a refused change to one person's row (`row`: the user's id, the form, what was
    typed and why), with that row's form as typed."""
    session = db.session()
    search = _search()
    page = account_lists.accounts_page(
        session, search, paging.page_number(request.args.get("page"))
    )
    units = org.all_units(session)
    requests = duties.pending(session)
    named = {r.username for r in requests} | {r.username for r in duties.decided(session)}
    return render_template(
        "admin/users.html",
        people=page.items,
        page=page,
        search=search,
        args={"q": search} if search else {},
        by_username=account_lists.accounts_named(session, named),
        units=units,
        unit_names={u.code: u.name for u in units},
        roles=ROLE_LABELS,
        depth={u.id: org.depth_of(u) for u in units},
        requests=requests,
        decided=duties.decided(session),
        new_account=new_account or {},
        refused=refused,
        row=row or {},
        mask_mobile=contacts.mask_mobile,
        now=clock.now(),
        page_address=url_for("admin.users"),
        list_args=_list_args(),
    )


def _search() -> str:
    return request.args.get("q", "").strip()[:100]


def _list_args() -> dict[str, Any]:
    """Where the list was (its search and page): the page's forms send it with them, and
    their answer comes back to it, not to the first page of every account."""
    try:
        number = paging.page_number(request.args.get("page"))
    except MalformedRequest:
        number = 1  # a number the list refuses (0, x, past MAX_PAGE): not carried on
    args = {"q": _search(), "page": str(number) if number > 1 else ""}
    return {name: value for name, value in args.items() if value}


def _done(outcome: object, message: str) -> Response:
    if isinstance(outcome, AccountRequest):
        flash(f"{outcome.kind_label}（{outcome.username}）{duties.SECOND_PERSON}", "info")
    else:
        flash(message, "success")
    return redirect(url_for("admin.users", **_list_args()))


def _refusals_back() -> None:
    errors.on_refusal(errors.back_to(url_for("admin.users", **_list_args())))


def _row_refusals_back(person: User, form: str, typed: dict[str, Any]) -> None:
    """A refused change to a person's row shows the page again with that row's form as
    typed and the reason beside it, instead of a message above a form emptied. The page
    offers no form for one's own row, nor 授予角色 for a disabled account: a refusal sent
    from an older page is a message at the top."""
    if person.id == me().id or (form == "grant" and not person.enabled):
        _refusals_back()
        return

    def again(error: AppError) -> ResponseReturnValue:
        row = {"user_id": person.id, "form": form, "error": errors.in_words(error), **typed}
        return _page(row=row), error.status

    errors.on_refusal(again)


@bp.post("/users")
@allow(SECURITY)
def create_user() -> Response:
    form = request.form
    typed = {name: form.get(name, "").strip() for name in NEW_ACCOUNT_FIELDS}

    def again(error: AppError) -> ResponseReturnValue:
        return _page(typed, str(error)), 422

    errors.on_refusal(again)
    made = duties.create_user(
        db.session(),
        me(),
        username=form.get("username", "").strip(),
        password=form.get("password", ""),
        full_name=form.get("full_name", ""),
        unit_code=form.get("unit", ""),
        role=form.get("role", ""),
    )
    return _done(made, f"已创建用户 {form.get('username')}，首次登录须修改密码")


@bp.post("/users/<int:user_id>/grant")
@allow(SECURITY)
def grant(user_id: int) -> Response:
    person = found(db.session().get(User, user_id))
    unit, role = request.form.get("unit", ""), request.form.get("role", "")
    _row_refusals_back(person, "grant", {"unit": unit, "role": role})
    made = duties.grant_role(db.session(), me(), person, unit, role)
    if isinstance(made, AccountRequest):
        return _done(made, "")
    return _done(None, f"已为 {person.username} 授予{made.unit.name}的“{made.role_label}”角色")


@bp.post("/roles/<int:assignment_id>/revoke")
@allow(SECURITY)
def revoke(assignment_id: int) -> Response:
    _refusals_back()
    revoked = duties.revoke_role(db.session(), me(), assignment_id)
    return _done(None, f"已撤销 {revoked}")


@bp.post("/users/<int:user_id>/contact")
@allow(SECURITY)
def contact(user_id: int) -> Response:
    """E-mail and mobile: a blank mobile keeps the stored one unless 清除 is ticked."""
    person = found(db.session().get(User, user_id))
    email, typed = request.form.get("email", ""), request.form.get("mobile", "").strip()
    clear = bool(request.form.get("clear_mobile"))
    _row_refusals_back(person, "contact", {"email": email, "mobile": typed, "clear": clear})
    mobile = "" if clear else (typed or None)
    contacts.set_contact(db.session(), me(), person, email=email, mobile=mobile)
    return _done(None, f"已保存 {person.username} 的联系方式")


@bp.post("/users/<int:user_id>/disable")
@allow(SECURITY)
def disable(user_id: int) -> Response:
    _refusals_back()
    person = found(db.session().get(User, user_id))
    duties.disable(db.session(), me(), person)
    return _done(None, f"已停用 {person.username}")


@bp.post("/users/<int:user_id>/enable")
@allow(SECURITY)
def enable(user_id: int) -> Response:
    _refusals_back()
    person = found(db.session().get(User, user_id))
    made = duties.enable(db.session(), me(), person)
    return _done(made, f"已启用 {person.username}，须重新登录")


@bp.post("/users/<int:user_id>/unlock")
@allow(SECURITY)
def unlock(user_id: int) -> Response:
    _refusals_back()
    person = found(db.session().get(User, user_id))
    duties.unlock(db.session(), me(), person)
    return _done(None, f"已解除 {person.username} 的锁定")


@bp.post("/users/<int:user_id>/password")
@allow(SECURITY)
def reset_password(user_id: int) -> Response:
    _refusals_back()
    person = found(db.session().get(User, user_id))
    made = duties.reset_password(db.session(), me(), person, request.form.get("password", ""))
    return _done(made, f"已重置 {person.username} 的密码，下次登录须修改")


@bp.post("/requests/<int:request_id>/approve")
@allow(SECURITY)
def approve(request_id: int) -> Response:
    _refusals_back()
    done = duties.approve(db.session(), me(), request_id)
    return _done(None, f"已同意{done.kind_label}（{done.username}），已生效")


@bp.post("/requests/<int:request_id>/refuse")
@allow(SECURITY)
def refuse(request_id: int) -> Response:
    _refusals_back()
    done = duties.refuse(db.session(), me(), request_id, request.form.get("note", ""))
    return _done(None, f"已不同意{done.kind_label}（{done.username}）")


@bp.get("/users/<int:user_id>/tokens")
@allow(SECURITY)
def user_tokens(user_id: int) -> str:
    person = found(db.session().get(User, user_id))
    rows = tokens.tokens_of(db.session(), person, actor=me())
    now = clock.now()
    return render_template(
        "admin/tokens.html",
        person=person,
        tokens=[(row, row.status(now)) for row in rows],
        labels=TOKEN_STATUS_LABELS,
    )


@bp.post("/tokens/<int:token_id>/revoke")
@allow(SECURITY)
def revoke_token(token_id: int) -> Response:
    row = found(db.session().get(ApiToken, token_id))
    back = url_for("admin.user_tokens", user_id=row.user_id)
    errors.on_refusal(errors.back_to(back))
    tokens.revoke_token(db.session(), token_id, me())
    flash(f"已吊销令牌 {row.prefix}…", "success")
    return redirect(back)
