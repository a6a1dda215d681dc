"""Camunda's way of writing expressions, read into ours.

Diagrams come from Camunda Modeler and from our own modeler's properties panel, which write
timers as bare ISO 8601 (`PT1H`, `R3/PT1H`, `2025-01-01T09:00:00`) and data references as
JUEL (`${deadline}`, `${nrOfCompletedInstances >= 2}`). The engine evaluates Python
expressions in its sandbox; this module turns the small part of JUEL that means the same in
Python into Python, and names everything else as unsupported instead of letting it reach the
sandbox as a syntax error. The result is always checked by the sandbox like any other text."""

from __future__ import annotations

import re

PYTHON_LANGUAGES = frozenset({"", "python", "python3", "py"})
# What modelers write for the languages Camunda runs; named in refusals as written.
_LANGUAGE_NAMES = {"js": "javascript", "ecmascript": "javascript", "nashorn": "javascript"}

_DURATION = r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?"
_DATE = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
_ISO = {
    "timeDuration": re.compile(f"^{_DURATION}$"),
    "timeDate": re.compile(f"^{_DATE}$"),
    "timeCycle": re.compile(f"^R\\d*/(({_DATE})/)?{_DURATION}(/({_DATE}))?$"),
}
_CRON = re.compile(r"^\S+(\s+\S+){4,6}$")
_TEMPLATE = re.compile(r"[$#]\{(.*?)\}", re.DOTALL)
_JUEL_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%()\[\]])
    )""",
    re.VERBOSE,
)
_JUEL_WORDS = {
    "true": "True",
    "false": "False",
    "null": "None",
    "and": "and",
    "or": "or",
    "not": "not",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "empty": "not",
}
_JUEL_OPS = {"&&": " and ", "||": " or ", "!": " not "}


class Unsupported(ValueError):
    """Text the engine cannot run, with the reason in Chinese."""


def language_name(language: str | None) -> str:
    lowered = (language or "").strip().lower()
    return _LANGUAGE_NAMES.get(lowered, lowered)


def require_python(language: str | None, what: str) -> None:
    """Refuse a script or expression written in a language other than Python."""
    if language_name(language) not in PYTHON_LANGUAGES:
        raise Unsupported(f"{what}语言 {language_name(language)} 不受支持（只支持 Python）")


def is_juel(text: str) -> bool:
    return _TEMPLATE.search(text) is not None


def juel(source: str) -> str:
    """The Python for the inside of a `${...}`: names, literals, comparisons, arithmetic and
    the logical operators; `a.b` reads the field b of a. Method calls and the rest are
    refused by name."""
    out: list[str] = []
    position = 0
    source = source.strip()
    while position < len(source):
        match = _JUEL_TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise Unsupported(
                f"JUEL 表达式 ${{{source}}} 无法转换为 Python（第 {position + 1} 个字符）"
            )
        position = match.end()
        kind = match.lastgroup
        token = match.group(kind or "")
        if kind == "name":
            head, *fields = token.split(".")
            if head in _JUEL_WORDS and not fields:
                out.append(f" {_JUEL_WORDS[head]} ")
                continue
            if source[position:].lstrip().startswith("("):
                raise Unsupported(f"JUEL 表达式 ${{{source}}} 中的方法调用 {token}() 不受支持")
            out.append(head + "".join(f"[{field!r}]" for field in fields))
        elif kind == "op":
            out.append(_JUEL_OPS.get(token, token))
        else:
            out.append(token)
    if not out:
        raise Unsupported("JUEL 表达式 ${} 为空")
    # tokens are joined by spaces, so `${x y}` stays two names (and is refused by the sandbox)
    return re.sub(r"\s+", " ", " ".join(out)).strip()


def expression(text: str) -> str:
    """A condition, cardinality or completion condition: `${...}` becomes Python, anything
    else is taken as Python already."""
    stripped = text.strip()
    match = _TEMPLATE.fullmatch(stripped)
    if match is not None:
        return juel(match.group(1))
    if is_juel(stripped):
        raise Unsupported(f"表达式 {stripped} 混有 JUEL 与其他文字，请改写为 Python 表达式")
    return stripped


def timer(text: str, kind: str) -> str:
    """A timer as a Python expression that evaluates to an ISO 8601 string. Accepted:
    bare ISO 8601 as Camunda writes it (`PT1H`, `R3/PT1H`, `2025-01-01T09:00:00+08:00`),
    `${name}` and templates such as `PT${hours}H` over case data, and Python expressions
    (`"PT1H"`, `due_on + "T18:00:00+08:00"`) as before."""
    stripped = text.strip()
    if _ISO[kind].match(stripped.upper()):
        return repr(stripped)
    if is_juel(stripped):
        parts: list[str] = []
        position = 0
        for match in _TEMPLATE.finditer(stripped):
            if match.start() > position:
                parts.append(repr(stripped[position : match.start()]))
            parts.append(f"str({juel(match.group(1))})")
            position = match.end()
        if position < len(stripped):
            parts.append(repr(stripped[position:]))
        if len(parts) == 1:
            return juel(_TEMPLATE.fullmatch(stripped).group(1))  # type: ignore[union-attr]
        return " + ".join(parts)
    if kind == "timeCycle" and _CRON.match(stripped) and not stripped.startswith(("'", '"')):
        raise Unsupported(
            f"定时器周期 {stripped} 是 cron 表达式，不受支持；请写成 ISO 8601（如 R3/PT1H）"
        )
    return stripped


def data_name(text: str, what: str) -> str:
    """A reference to one field of case data, written `items` or `${items}`."""
    stripped = text.strip()
    match = _TEMPLATE.fullmatch(stripped)
    name = match.group(1).strip() if match else stripped
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name.startswith("_"):
        raise Unsupported(f"{what} {stripped} 须是一个数据字段名（如 items 或 ${{items}}）")
    return name
