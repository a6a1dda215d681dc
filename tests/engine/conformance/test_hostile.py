"""Files no one should deploy, and files in encodings other than UTF-8: deploy answers each
with a refusal that names the element (or the whole file) and the reason, never with an
exception of its own; a file in another encoding deploys as its XML prolog declares."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from engine import definitions
from engine.errors import DeploymentRefused
from tests.engine.host import FakeHost

DIAGRAMS = Path(__file__).parent / "diagrams"
PLAIN = (DIAGRAMS / "start_none.bpmn").read_text(encoding="utf-8")


def _refusal(session: Session, xml: bytes | str) -> list[tuple[str, str]]:
    with pytest.raises(DeploymentRefused) as refused:
        definitions.deploy(session, xml, FakeHost(), deployed_by="hostile")
    findings = [(f.element_id, f.message) for f in refused.value.findings]
    assert findings and all(message for _, message in findings)
    return findings


def _prolog(text: str, encoding: str) -> str:
    return text.replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("ISO-8859-1", "Café à la carte"),
        ("windows-1252", "Naïve – résumé"),
        ("GBK", "问题整改（国标编码）"),
        ("UTF-16", "问题整改（UTF-16）"),
        ("UTF-16LE", "问题整改（无 BOM）"),
    ],
)
def test_a_file_is_read_in_the_encoding_its_prolog_declares(
    db_session: Session, encoding: str, name: str
) -> None:
    text = _prolog(PLAIN.replace('name="空开始事件"', f'name="{name}"'), encoding)
    data = text.encode(encoding, errors="xmlcharrefreplace")  # 经办人 as &#32463;… in Latin-1
    definition, created = definitions.deploy(db_session, data, FakeHost(), deployed_by="t")
    assert created and definition.name == name
    assert 'encoding="UTF-8"' in definition.bpmn_xml  # stored as text, the prolog says so
    # the stored text parses again, to the same diagram
    again, created_again = definitions.deploy(
        db_session, definition.bpmn_xml, FakeHost(), deployed_by="t"
    )
    assert (again.id, created_again) == (definition.id, False)


def test_a_byte_order_mark_is_honoured(db_session: Session) -> None:
    data = codecs.BOM_UTF8 + PLAIN.encode("utf-8")
    definition, _ = definitions.deploy(db_session, data, FakeHost(), deployed_by="t")
    assert definition.name == "空开始事件"


HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "blank": b"   \n\t ",
    "binary": bytes(range(256)) * 4,
    "json": b'{"bpmn": "no"}',
    "html": b"<!doctype html><html><body>hi</body></html>",
    "plain text": "这不是流程图".encode(),
    "truncated": PLAIN.encode()[: len(PLAIN) // 2],
    "wrong encoding declared": PLAIN.encode().replace("空开始事件".encode(), b"Caf\xe9"),
    "unknown encoding": _prolog(PLAIN, "x-klingon").encode(),
    "utf-16 declared, utf-8 given": _prolog(PLAIN, "UTF-16").encode("utf-8"),
    "not bpmn": b'<?xml version="1.0"?><definitions xmlns="urn:other"><process/></definitions>',
    "no namespace": b"<definitions><process id='p' isExecutable='true'/></definitions>",
    "doctype": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    "unknown bpmn element": PLAIN.replace(
        "<bpmn:endEvent", "<bpmn:fooTask id='odd'/><bpmn:endEvent"
    ).encode(),
    "duplicate ids": PLAIN.replace('<bpmn:endEvent id="e">', '<bpmn:endEvent id="u">').encode(),
    "flow to nowhere": PLAIN.replace('targetRef="e"', 'targetRef="nowhere"').encode(),
    "no start event": PLAIN.replace('<bpmn:startEvent id="s"></bpmn:startEvent>', "").encode(),
    "no process": (
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        b' id="d" targetNamespace="x"/>'
    ),
    "deep nesting": b"<a>" * 5000 + b"</a>" * 5000,
    "over 5 MB": PLAIN.replace("</bpmn:definitions>", "<!--" + "x" * 6_000_000 + "-->").encode(),
    "lone surrogate": PLAIN.replace("空开始事件", "\ud800").encode("utf-8", "surrogatepass"),
    "nul bytes": PLAIN.encode().replace(b"<bpmn:process", b"<bpmn:\x00process"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_with_a_reason(db_session: Session, name: str) -> None:
    _refusal(db_session, HOSTILE[name])


def test_overlong_ids_are_refused_by_name(db_session: Session) -> None:
    long_process = "p" * 65
    text = PLAIN.replace("c_start_none", long_process)
    findings = _refusal(db_session, text)
    assert any("流程 id 过长（65 个字符，最多 64 个）" in message for _, message in findings)
    assert any(eid.startswith("p" * 40) for eid, _ in findings)
    long_task = "t" * 101
    findings = _refusal(db_session, PLAIN.replace('"u"', f'"{long_task}"'))
    assert any("元素 id 过长（101 个字符" in message for _, message in findings)


def test_a_process_id_of_64_characters_deploys(db_session: Session) -> None:
    key = "k" * 64
    definition, _ = definitions.deploy(
        db_session, PLAIN.replace("c_start_none", key), FakeHost(), deployed_by="t"
    )
    assert definition.key == key


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(0, len(PLAIN)), junk=st.binary(max_size=40), drop=st.integers(0, 60))
def test_a_mangled_diagram_never_raises_anything_but_a_refusal(
    db_session: Session, cut: int, junk: bytes, drop: int
) -> None:
    data = PLAIN.encode()
    mangled = data[:cut] + junk + data[cut + drop :]
    try:
        definitions.deploy(db_session, mangled, FakeHost(), deployed_by="hostile")
    except DeploymentRefused as refused:
        assert all(f.message for f in refused.findings)


BUNDLES = Path(__file__).parent / "bundles"
TABLE = (BUNDLES / "grade_unique.dmn").read_bytes()
RULED = (BUNDLES / "rule_unique.bpmn").read_bytes()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(0, len(TABLE)), junk=st.binary(max_size=20), drop=st.integers(0, 40))
def test_a_mangled_decision_table_never_raises_anything_but_a_refusal(
    db_session: Session, cut: int, junk: bytes, drop: int
) -> None:
    mangled = TABLE[:cut] + junk + TABLE[cut + drop :]
    files: list[tuple[str, bytes | str]] = [("t.dmn", mangled), ("rule.bpmn", RULED)]
    try:
        with db_session.begin_nested():
            definitions.deploy_files(db_session, files, FakeHost(), deployed_by="hostile")
    except DeploymentRefused as refused:
        assert all(f.message for f in refused.findings)
