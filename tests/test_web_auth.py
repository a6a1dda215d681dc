from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import AuditEvent
from core import clock
from tests.factories import GOOD_PASSWORD, make_user
from tests.web_helpers import csrf_token, login


def test_pages_need_a_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_page_is_chinese_and_carries_a_csrf_token(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "用户登录" in page and 'name="csrf_token"' in page
    assert 'lang="zh-CN"' in page


def test_demo_officer_logs_in_and_sees_units_roles_and_campaign(client: FlaskClient) -> None:
    response = login(client, "qsz_jbr", "Demo@2022ykt")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "青山镇" in page and "经办人" in page
    assert "集中整治" in page and "每月 23 日前" in page


def test_wrong_password_shows_a_message_and_counts(
    client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, "webuser")
    response = login(client, "webuser", "Wrong#2022pw")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    failures = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "auth.login",
            AuditEvent.success.is_(False),
            AuditEvent.actor_name == "webuser",
        )
    ).all()
    assert len(failures) == 1


def test_six_wrong_passwords_lock_the_account_in_the_browser(
    client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, "target")
    for n in range(5):
        login(client, "target", f"Wrong#{n}pass")
    sixth = login(client, "target", GOOD_PASSWORD)
    assert sixth.status_code == 401
    assert "用户名或密码错误，或账户暂不可用" in sixth.get_data(as_text=True)
    clock.advance(timedelta(minutes=16))
    assert login(client, "target", GOOD_PASSWORD).status_code == 302


def test_post_without_csrf_token_is_refused(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, "nocsrf")
    response = client.post("/login", data={"username": "nocsrf", "password": GOOD_PASSWORD})
    assert response.status_code == 400
    assert "页面已过期或来源无法确认" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_idle_session_ends_after_thirty_minutes(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, "idler")
    login(client, "idler", GOOD_PASSWORD)
    clock.advance(timedelta(minutes=29))
    assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=29))  # activity above restarted the 30 minutes
    assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "已自动退出" in client.get("/login").get_data(as_text=True)


def test_new_account_must_change_password_before_anything_else(
    client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, "newbie", must_change_password=True)
    login(client, "newbie", GOOD_PASSWORD)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/password"
    token = csrf_token(client, "/password")
    weak = client.post(
        "/password",
        data={
            "current_password": GOOD_PASSWORD,
            "new_password": "weakpass",
            "confirm_password": "weakpass",
            "csrf_token": token,
        },
    )
    assert weak.status_code == 422 and "至少三类" in weak.get_data(as_text=True)
    mismatch = client.post(
        "/password",
        data={
            "current_password": GOOD_PASSWORD,
            "new_password": "Strong#2023",
            "confirm_password": "Strong#2024",
            "csrf_token": token,
        },
    )
    assert mismatch.status_code == 422 and "不一致" in mismatch.get_data(as_text=True)
    done = client.post(
        "/password",
        data={
            "current_password": GOOD_PASSWORD,
            "new_password": "Strong#2023",
            "confirm_password": "Strong#2023",
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_logout_needs_post_and_ends_the_session(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, "leaving")
    login(client, "leaving", GOOD_PASSWORD)
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_login_never_redirects_to_another_site(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, "redirected")
    response = login(client, "redirected", GOOD_PASSWORD, next_path="//evil.example/x")
    assert response.headers["Location"] == "/"


def test_responses_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
