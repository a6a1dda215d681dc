"""账户和角色: the list of accounts is searched by 用户名, 姓名 or 单位 and shown a page at a
time (a district has hundreds of accounts)."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts
from campaign.models import User
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]


def names_in(page: str) -> list[str]:
    cells = page.split('<td data-label="用户名">')[1:]
    return [cell.split("</td>", 1)[0] for cell in cells]


def test_the_accounts_are_searched_by_name_full_name_and_unit(
    db_session: Session, as_user: Client
) -> None:
    client = as_user("secadmin")
    assert names_in(client.get("/admin/users?q=qsz_j").get_data(as_text=True)) == ["qsz_jbr"]
    by_full_name = names_in(client.get("/admin/users?q=青山镇经办人").get_data(as_text=True))
    assert by_full_name == ["qsz_jbr"]
    by_unit = names_in(client.get("/admin/users?q=青山镇").get_data(as_text=True))
    assert "qsz_jbr" in by_unit and "qsz_fzr" in by_unit and "secadmin" not in by_unit
    page = client.get("/admin/users?q=没有这个人").get_data(as_text=True)
    assert names_in(page) == [] and "共 0 个账户" in page


def sixty_village_officers(session: Session) -> None:
    """Accounts cun000 … cun059: two pages of a search for "cun"."""
    for n in range(60):
        accounts.create_user(
            session,
            f"cun{n:03d}",
            "Strong#2022pw",
            full_name=f"村干部{n}",
            unit_code="QSZ",
            role="officer",
        )
    session.commit()


def test_the_accounts_are_shown_a_page_at_a_time(db_session: Session, as_user: Client) -> None:
    sixty_village_officers(db_session)
    client = as_user("secadmin")
    first = client.get("/admin/users?q=cun").get_data(as_text=True)
    assert len(names_in(first)) == 50 and "共 60 个账户" in first
    assert "/admin/users?q=cun&amp;page=2" in first
    second = names_in(client.get("/admin/users?q=cun&page=2").get_data(as_text=True))
    assert second == [f"cun{n:03d}" for n in range(50, 60)]
    assert client.get("/admin/users?page=x").status_code == 400


def test_a_row_action_comes_back_to_the_list_where_it_was(
    db_session: Session, as_user: Client
) -> None:
    sixty_village_officers(db_session)
    client = as_user("secadmin")
    where = "/admin/users?q=cun&page=2"
    page = client.get(where).get_data(as_text=True)
    person = db_session.scalars(select(User).where(User.username == "cun055")).one()
    action = f"/admin/users/{person.id}/disable?q=cun&amp;page=2"
    assert action in page  # the row's forms say where the list was
    token = csrf_token(client, where)
    done = client.post(action.replace("&amp;", "&"), data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == where
    back = client.get(where).get_data(as_text=True)
    assert "已停用 cun055" in back and names_in(back)[0] == "cun050"
    # A refusal comes back there too: a password too weak, on the same page of the list.
    refused = client.post(
        f"/admin/users/{person.id}/password?q=cun&page=2",
        data={"csrf_token": token, "password": "weak"},
    )
    assert refused.status_code == 302 and refused.headers["Location"] == where
    # A page number the list would refuse is not carried on: the first page instead.
    odd = client.post(f"/admin/users/{person.id}/enable?page=x", data={"csrf_token": token})
    assert odd.headers["Location"] == "/admin/users"


def test_a_page_number_the_list_refuses_is_not_where_an_action_comes_back(
    db_session: Session, as_user: Client
) -> None:
    client = as_user("secadmin")
    person = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    token = csrf_token(client, "/admin/users")
    for page in ("0", "100001", "00"):
        done = client.post(
            f"/admin/users/{person.id}/disable?q=qsz&page={page}", data={"csrf_token": token}
        )
        assert done.status_code == 302 and done.headers["Location"] == "/admin/users?q=qsz", page
        assert client.get(done.headers["Location"]).status_code == 200
        client.post(f"/admin/users/{person.id}/enable", data={"csrf_token": token})
