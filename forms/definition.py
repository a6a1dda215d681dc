"""A form: fields in order, loaded from a JSON definition; validates a submission as a whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from core.errors import InvalidInput
from forms.fields import FIELD_TYPES, Field, FieldError, is_empty, parse_value


class ChoiceProvider(Protocol):
    """Dynamic choices: (source name, the data submitted so far, the value submitted when
    one is being checked) -> [(value, label)]. Checking, a provider may answer with the
    choices narrowed to that value (a list of 1,400 units read to check one)."""

    def __call__(
        self, source: str, data: Mapping[str, Any], wanted: str | None = None, /
    ) -> Sequence[tuple[str, str]]: ...


class FormDefinitionError(ValueError):
    pass


class SubmissionInvalid(InvalidInput):
    """A submission the form refuses, field by field (`fields`)."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        detail = "；".join(f"{k}：{v}" if k else v for k, v in fields.items())
        super().__init__(f"表单校验未通过：{detail}", fields)


def _no_dynamic_choices(
    source: str, data: Mapping[str, Any], wanted: str | None = None, /
) -> Sequence[tuple[str, str]]:
    raise FormDefinitionError(f"没有提供选项来源：{source}")


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    fields: tuple[Field, ...]
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Form:
        try:
            key, title = str(data["key"]), str(data["title"])
            fields = tuple(_field(f) for f in data["fields"])
        except (KeyError, TypeError) as exc:
            raise FormDefinitionError(f"表单定义缺少必要项：{exc}") from None
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise FormDefinitionError(f"表单 {key} 有重复的字段名")
        for position, spec in enumerate(fields):
            other = spec.required_if.get("field") if spec.required_if else None
            for needed in filter(None, (other, spec.depends_on, spec.not_above)):
                if needed not in names[:position]:
                    raise FormDefinitionError(
                        f"表单 {key} 字段 {spec.name} 依赖的字段 {needed} 不存在或不在它之前"
                    )
            if spec.not_above and {spec.type, fields[names.index(spec.not_above)].type} != {
                "integer"
            }:
                raise FormDefinitionError(f"表单 {key} 字段 {spec.name} 只能与整数字段比较大小")
            if spec.depends_on and not spec.source:
                raise FormDefinitionError(
                    f"表单 {key} 字段 {spec.name} 须有选项来源才能依赖其他字段"
                )
        return cls(key, title, fields, str(data.get("description", "")))

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "fields": [f.to_json() for f in self.fields],
        }

    def condition_text(self, spec: Field) -> str:
        """When a conditionally required field is required, in words: 办理方式选“申请延期”时必填."""
        other_name = spec.required_if.get("field", "") if spec.required_if else ""
        other = next((f for f in self.fields if f.name == other_name), None)
        if other is None:
            return ""
        wanted = spec.required_if.get("equals")
        if other.type == "boolean":
            return f"勾选“{other.label}”时必填" if wanted else f"未勾选“{other.label}”时必填"
        label = dict(other.choices).get(str(wanted), str(wanted))
        return f"{other.label}选“{label}”时必填"

    def label_of(self, name: str) -> str:
        return next((f.label for f in self.fields if f.name == name), name)

    def choices_for(
        self,
        spec: Field,
        data: Mapping[str, Any],
        provider: ChoiceProvider,
        wanted: str | None = None,
    ) -> Sequence[tuple[str, str]]:
        return spec.choices if not spec.source else provider(spec.source, data, wanted)

    def validate(
        self, data: Mapping[str, Any], *, today: date, choices: ChoiceProvider = _no_dynamic_choices
    ) -> dict[str, Any]:
        """Clean values of every field, or SubmissionInvalid naming each bad field."""
        clean: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for spec in self.fields:
            raw = data.get(spec.name)
            if is_empty(raw):
                if spec.is_required(clean):
                    errors[spec.name] = f"{spec.label}：必填"
                elif spec.type == "boolean":
                    clean[spec.name] = False
                continue
            try:
                options = (
                    self.choices_for(spec, data, choices, _checked_value(spec, raw))
                    if spec.type in ("choice", "multichoice")
                    else ()
                )
                clean[spec.name] = parse_value(spec, raw, options, today)
                self._not_above(spec, clean)
            except FieldError as exc:
                errors[spec.name] = f"{spec.label}：{exc}"
        if errors:
            raise SubmissionInvalid(errors)
        return clean

    def _not_above(self, spec: Field, clean: Mapping[str, Any]) -> None:
        """The cross-field rule of a number: not above an earlier field's value (when that
        one is valid; if not, its own error is shown)."""
        limit = clean.get(spec.not_above) if spec.not_above else None
        if limit is not None and clean[spec.name] > limit:
            raise FieldError(f"不能大于{self.label_of(spec.not_above)}（{limit}）")


def _checked_value(spec: Field, raw: Any) -> str | None:
    """The one value a choice field's submission asks for (None: a multichoice's several)."""
    if spec.type == "choice" and isinstance(raw, (str, int)):
        return str(raw).strip()
    return None


def _field(data: Mapping[str, Any]) -> Field:
    kind = str(data["type"])
    if kind not in FIELD_TYPES:
        raise FormDefinitionError(f"未知字段类型：{kind}")
    choices = tuple((str(v), str(label)) for v, label in data.get("choices", []))
    if kind in ("choice", "multichoice") and not choices and not data.get("source"):
        raise FormDefinitionError(f"字段 {data['name']} 须给出 choices 或 source")
    return Field(
        name=str(data["name"]),
        label=str(data["label"]),
        type=kind,
        required=bool(data.get("required", False)),
        help=str(data.get("help", "")),
        choices=choices,
        source=str(data.get("source", "")),
        min=data.get("min"),
        max=data.get("max"),
        max_length=int(data.get("max_length", 2000)),
        required_if=dict(data.get("required_if", {})),
        depends_on=str(data.get("depends_on", "")),
        not_above=str(data.get("not_above", "")),
    )
