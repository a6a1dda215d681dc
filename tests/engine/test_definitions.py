import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import definitions
from engine.errors import DeploymentRefused, DiagramFinding
from engine.models import ProcessDefinition
from tests.engine.conftest import diagram
from tests.engine.host import FakeHost


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def _refusal(session: Session, host: FakeHost, xml: str) -> list[DiagramFinding]:
    before = _count(session)
    with pytest.raises(DeploymentRefused) as refused:
        definitions.deploy(session, xml, host, deployed_by="test")
    assert _count(session) == before, "a refused deploy stores nothing"
    return refused.value.findings


def test_deploy_stores_an_immutable_version_with_its_digest(
    db_session: Session, host: FakeHost
) -> None:
    first, created = definitions.deploy(db_session, diagram("rectify"), host, deployed_by="admin")
    assert created and (first.key, first.version) == ("test_rectify", 1)
    assert first.name == "整改（测试）" and len(first.sha256) == 64
    again, created_again = definitions.deploy(
        db_session, diagram("rectify"), host, deployed_by="admin"
    )
    assert not created_again and again.id == first.id
    edited = diagram("rectify", **{'name="销号审核"': 'name="销号审核（改）"'})
    second, created = definitions.deploy(db_session, edited, host, deployed_by="admin")
    assert created and second.version == 2 and second.bpmn_xml != first.bpmn_xml
    assert definitions.require_latest(db_session, "test_rectify").id == second.id


def test_every_problem_is_listed_with_its_element(db_session: Session, host: FakeHost) -> None:
    broken = diagram(
        "rectify",
        **{
            'name="审核人"': 'name="不存在的泳道"',
            'camunda:formKey="review"': 'camunda:formKey="no_such_form"',
            'camunda:formKey="register"': "",
            "closed = True": "import os",
        },
    )
    problems = _refusal(db_session, host, broken)
    by_element = {p.element_id: p.message for p in problems}
    assert "泳道“不存在的泳道”" in by_element["lane_reviewer"]
    assert "表单不存在：no_such_form" in by_element["review"]
    assert "camunda:formKey" in by_element["register"]
    assert "import" in by_element["finish"]


def test_a_user_task_outside_every_lane_is_refused(db_session: Session, host: FakeHost) -> None:
    problems = _refusal(
        db_session, host, diagram("rectify", **{"<bpmn:flowNodeRef>review</bpmn:flowNodeRef>": ""})
    )
    assert [p.element_id for p in problems] == ["review"]


@pytest.mark.parametrize(
    ("replacement", "element", "text"),
    [
        ("overdue = ().__class__.__base__.__subclasses__()", "mark_overdue", "下划线"),
        ("overdue = __import__('os').system('id')", "mark_overdue", "下划线"),
        ("overdue = getattr(x, 'y')", "mark_overdue", "getattr"),
        ("overdue = eval('1')", "mark_overdue", "eval"),
        ("overdue = open('/etc/passwd').read()", "mark_overdue", "open"),
        ("overdue = '{0.__class__}'.format(1)", "mark_overdue", "format"),
        ("overdue = [1 for x in ()].gi_frame", "mark_overdue", "gi_frame"),
        ("overdue = (lambda: 1)()", "mark_overdue", "lambda"),
        ("overdue = (", "mark_overdue", "语法错误"),
    ],
)
def test_unsafe_scripts_are_refused_at_deploy(
    db_session: Session, host: FakeHost, replacement: str, element: str, text: str
) -> None:
    problems = _refusal(db_session, host, diagram("rectify", **{"overdue = True": replacement}))
    assert problems[0].element_id == element and text in problems[0].message


def test_unsafe_conditions_and_bad_timers_are_refused(db_session: Session, host: FakeHost) -> None:
    problems = _refusal(
        db_session,
        host,
        diagram(
            "rectify",
            **{
                "approved == True": "approved.__class__ == 1",
                ">deadline<": ">'2022-13-45'<",
            },
        ),
    )
    by_element = {p.element_id: p.message for p in problems}
    assert "下划线" in by_element["f_ok"]
    assert "定时器表达式无法解析" in by_element["late_timer"]


def test_billion_laughs_is_refused_without_expanding(db_session: Session, host: FakeHost) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{"&lol" + str(n - 1) + ";" if n > 1 else "&lol;"}' * 10 + '">'
            for n in range(1, 10)
        )
        + ']><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        "&lol9;</bpmn:definitions>"
    )
    problems = _refusal(db_session, host, bomb)
    assert "DOCTYPE" in problems[0].message


def test_external_entities_are_refused(db_session: Session, host: FakeHost) -> None:
    xxe = (
        diagram("rectify")
        .replace(
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        )
        .replace('name="登记台账"', 'name="&x;"')
    )
    problems = _refusal(db_session, host, xxe)
    assert "实体" in problems[0].message


def test_malformed_xml_and_non_bpmn_are_refused(db_session: Session, host: FakeHost) -> None:
    assert "XML 格式错误" in _refusal(db_session, host, "<bpmn:definitions")[0].message
    not_bpmn = '<?xml version="1.0"?><html><body>hello</body></html>'
    assert "BPMN" in _refusal(db_session, host, not_bpmn)[0].message


def test_service_tasks_are_not_supported(db_session: Session, host: FakeHost) -> None:
    problems = _refusal(
        db_session,
        host,
        diagram(
            "rectify",
            **{
                '<bpmn:scriptTask id="finish"': '<bpmn:serviceTask id="finish"',
                "<bpmn:script>closed = True</bpmn:script>\n    </bpmn:scriptTask>": (
                    "</bpmn:serviceTask>"
                ),
            },
        ),
    )
    assert {p.element_id for p in problems} == {"finish"}


def test_spec_cache_parses_each_version_once(db_session: Session, host: FakeHost) -> None:
    definition, _ = definitions.deploy(db_session, diagram("rectify"), host, deployed_by="t")
    first = definitions.specs_for(definition)
    assert definitions.specs_for(definition) is first
