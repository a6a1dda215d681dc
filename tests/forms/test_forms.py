from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest

from forms import registry
from forms.definition import Form, FormDefinitionError, SubmissionInvalid

TODAY = date(2022, 7, 1)
OPTIONS = {
    "villages": [("QSZ01", "青山村")],
    "programmes": [("P01", "困难群众救助资金")],
    "focus_items": [("3.3", "贪污侵占、截留挪用补贴资金")],
    "stat_categories": [("S01", "贪污侵占")],
    "responsible_units": [("QSZ", "青山镇")],
}


def provide(
    source: str, data: Mapping[str, Any], _wanted: str | None = None, /
) -> Sequence[tuple[str, str]]:
    return OPTIONS[source]


def registration(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "self_inspection",
        "village": "QSZ01",
        "programme": "P01",
        "focus_item": "3.3",
        "stat_category": "S01",
        "description": "截留低保金",
        "amount": "1,234.56",
        "cards": "3",
        "households": "2",
        "persons": "5",
        "discovered_on": "2022-06-30",
    }
    data.update(overrides)
    return data


def validate(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    form = registry.get(key)
    assert form is not None
    return form.validate(data, today=TODAY, choices=provide)


def errors(key: str, data: Mapping[str, Any]) -> dict[str, str]:
    with pytest.raises(SubmissionInvalid) as invalid:
        validate(key, data)
    return invalid.value.fields


def test_every_shipped_form_loads_and_round_trips_to_json() -> None:
    forms = registry.all_forms()
    assert {"register_problem", "review_registration", "rectify", "signoff"} <= set(forms)
    for form in forms.values():
        assert Form.from_json(form.to_json()) == form


def test_a_clean_registration_stores_money_in_fen_and_dates_as_iso() -> None:
    clean = validate("register_problem", registration())
    assert clean["amount"] == 123456
    assert clean["cards"] == 3 and clean["discovered_on"] == "2022-06-30"
    assert clean["village"] == "QSZ01"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "不能为负数"),
        ("abc", "须为金额"),
        ("1.234", "最多两位小数"),
        ("1e5", "须为金额"),
        (True, "须为金额"),
        ("99999999999999", "过大"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(value: Any, message: str) -> None:
    assert message in errors("register_problem", registration(amount=value))["amount"]


def test_missing_required_fields_are_each_named() -> None:
    found = errors("register_problem", registration(description="  ", programme=None))
    assert found == {"description": "问题描述：必填", "programme": "补贴项目：必填"}


def test_values_outside_the_choices_are_refused() -> None:
    found = errors("register_problem", registration(village="BSZ01", programme="P99"))
    assert found == {"village": "村（社区）：不是可选的值", "programme": "补贴项目：不是可选的值"}


def test_a_discovery_date_in_the_future_is_refused() -> None:
    assert (
        "不能晚于今天"
        in errors("register_problem", registration(discovered_on="2022-07-02"))["discovered_on"]
    )


def test_a_deadline_in_the_past_is_refused() -> None:
    data = {
        "review_decision": "approve",
        "responsible_unit": "QSZ",
        "responsible_person": "张三",
        "rectify_type": "deadline",
        "measures": "追回资金",
        "deadline": "2022-06-30",
    }
    assert errors("review_registration", data) == {"deadline": "整改时限：不能早于今天"}
    assert validate("review_registration", {**data, "deadline": "2022-07-31"})["deadline"] == (
        "2022-07-31"
    )
    # No date of any form reaches the ends of the calendar, where the day after overflows.
    for far in ("9999-12-31", "2101-01-01"):
        assert errors("review_registration", {**data, "deadline": far}) == {
            "deadline": "整改时限：须在 1900-01-01 至 2100-12-31 之间"
        }
    assert validate("review_registration", {**data, "deadline": "2100-12-31"})["deadline"] == (
        "2100-12-31"
    )
    assert (
        "须在 1900-01-01"
        in errors("register_problem", registration(discovered_on="0001-01-01"))["discovered_on"]
    )


def test_conditional_fields_follow_the_clean_value_of_the_field_they_depend_on() -> None:
    returned = {"review_decision": "return"}
    assert errors("review_registration", returned) == {"review_return_reason": "退回理由：必填"}
    flagged = {
        "review_decision": "return",
        "review_return_reason": "补充证据",
        "suspected_violation": "on",
    }
    assert errors("review_registration", flagged) == {"clue_summary": "线索摘要：必填"}
    clean = validate("review_registration", {**flagged, "suspected_violation": "off"})
    assert clean["suspected_violation"] is False


def test_integers_reject_text_and_bounds() -> None:
    found = errors("register_problem", registration(cards="两张", households="-1"))
    assert found == {
        "cards": "违规代管“一卡通”数量（张）：须为整数",
        "households": "涉及户数：不能小于 0",
    }


def test_malformed_definitions_are_refused() -> None:
    with pytest.raises(FormDefinitionError, match="未知字段类型"):
        Form.from_json(
            {"key": "k", "title": "t", "fields": [{"name": "a", "label": "A", "type": "colour"}]}
        )
    with pytest.raises(FormDefinitionError, match="依赖的字段"):
        Form.from_json(
            {
                "key": "k",
                "title": "t",
                "fields": [
                    {"name": "a", "label": "A", "type": "text", "required_if": {"field": "b"}},
                    {"name": "b", "label": "B", "type": "text"},
                ],
            }
        )
    with pytest.raises(FormDefinitionError, match="缺少必要项"):
        Form.from_json({"key": "k"})


def test_a_choice_depends_only_on_an_earlier_field_and_needs_a_source() -> None:
    township = {"name": "township", "label": "乡镇", "type": "choice", "source": "townships"}
    village = {"name": "village", "label": "村", "type": "choice", "source": "villages"}

    def form(*fields: Mapping[str, Any]) -> Form:
        return Form.from_json({"key": "k", "title": "t", "fields": list(fields)})

    made = form(township, {**village, "depends_on": "township"})
    assert made.fields[1].depends_on == "township" and made.label_of("township") == "乡镇"
    assert Form.from_json(made.to_json()) == made
    with pytest.raises(FormDefinitionError, match="依赖的字段 township 不存在或不在它之前"):
        form({**village, "depends_on": "township"}, township)
    with pytest.raises(FormDefinitionError, match="依赖的字段 town 不存在"):
        form(township, {**village, "depends_on": "town"})
    fixed = {"name": "v", "label": "村", "type": "choice", "choices": [["a", "A"]]}
    with pytest.raises(FormDefinitionError, match="须有选项来源才能依赖其他字段"):
        form(township, {**fixed, "depends_on": "township"})


def test_conditions_are_explained_in_words() -> None:
    rectify = registry.get("rectify")
    review = registry.get("review_registration")
    assert rectify is not None and review is not None
    fields = {f.name: f for f in rectify.fields}
    assert rectify.condition_text(fields["extension_reason"]) == "办理方式选“申请延期”时必填"
    clue = next(f for f in review.fields if f.name == "clue_summary")
    assert review.condition_text(clue).startswith("勾选“涉嫌违纪违法")


def test_cards_held_illegally_may_not_exceed_the_cards_found() -> None:
    form = registry.get("monthly_report")
    assert form is not None
    month = {"visited_persons": "1", "visited_households": "1", "cards_found": "5"}
    month |= {"banks_involved": "1", "content": "摸排"}
    assert form.validate(month | {"cards_illegal": "5"}, today=TODAY)["cards_illegal"] == 5
    with pytest.raises(SubmissionInvalid) as refused:
        form.validate(month | {"cards_illegal": "8"}, today=TODAY)
    assert refused.value.fields == {
        "cards_illegal": "违规代管“一卡通”数量（张）：不能大于摸排出“一卡通”的总量（张）（5）"
    }
    # The total itself invalid: its own error, no comparison with nothing.
    with pytest.raises(SubmissionInvalid) as refused:
        form.validate(month | {"cards_found": "x", "cards_illegal": "8"}, today=TODAY)
    assert set(refused.value.fields) == {"cards_found"}
    number = {"type": "integer", "label": "数"}
    for fields in (
        [{"name": "b", "not_above": "a", **number}, {"name": "a", **number}],
        [{"name": "a", "type": "text", "label": "文"}, {"name": "b", "not_above": "a", **number}],
    ):
        with pytest.raises(FormDefinitionError):
            Form.from_json({"key": "k", "title": "t", "fields": fields})
