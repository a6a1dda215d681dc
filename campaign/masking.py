"""Masking personal information before anything is published (domain rules of 公示).

What is masked, and how (docs/security.md, "公示的个人信息屏蔽" says the same for people):

- ID numbers (18 digits or 17 and an X, 15 digits): the first 2 and last 4 characters stay,
  always ten asterisks between them so the length says nothing: 42**********1234.
- Mobile numbers (with a +86, 0086 or 86 prefix or none): 138****1234; a prefix stays,
  apart from the number.
- Landlines with an area code: 027-****0176.
- Bank card numbers (12 to 19 digits) and any other run of 7 or more digits: only the last 4.
- House numbers below township level: the 组/号/栋/单元/室 part after a village, community or
  street name becomes ***; the name itself stays (柳塘村3组18号 → 柳塘村***).
- The names given by the caller (persons under investigation): surname + 某 (张三 → 张某).

People write numbers with spaces or dashes inside and in full-width digits, so every
character is matched in its NFKC form; what is not masked is kept as written. Numbers
written in groups (138 1234 5678, 4201 0619 9001 0112 34) are joined only where the groups
together make one of the numbers above, so that dates (2022-06-15), years (2021—2022年),
amounts (3,600.00) and ledger numbers (2022-QSZ-0001) stay readable."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

STARS = "***"

# Between the groups of one number: one or two spaces, or a dash with a space on either side.
_JOIN = re.compile(r" {1,2}| ?[-‐‑‒–—―−] ?")
_GROUP = re.compile(r"\d+")
# A date's digits never join a number, even beside one: 2022-06-15—2022-07-15 is a period.
_DATE = re.compile(
    r"(?<!\d)(?:1[89]|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)"
)
_MOBILE = re.compile(r"(0086|86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")
_ID_BODY = re.compile(r"[1-9]\d{16}[\dX]|[1-9]\d{14}")
# Groups this long are numbers of their own: 13812345678 2022 is a mobile and a year.
_LONGEST_GROUP_JOINED = 8
_PREFIXES = ("86", "0086")

_NUMERAL = r"(?:\d+(?:-\d+)*|[零〇一二三四五六七八九十百两]+)[A-Za-z]?|[A-Za-z]"
_PART = rf"第?(?:{_NUMERAL})(?:号楼|单元|组|队|号|栋|幢|座|室|楼|层)"
# Names that end a place below the township; what follows them is the house number.
_PLACE = r"村|社区|小区|居委会|路|街|大道|巷|胡同|花园|家园|苑|公寓|大院|大厦"
_AFTER_PLACE = re.compile(rf"(?:{_PLACE})((?:{_PART})+(?:(?<=[元栋幢楼座])\d+)?)")
# Without a place before it only what cannot be a citation (第18号文件) or a count (3栋房屋):
# two parts (3组18号, 5栋2单元301室), a 单元, or a room of three digits.
_HOUSE = re.compile(rf"(?:{_PART}){{2,}}(?:(?<=[元栋幢楼座])\d+)?|(?:{_NUMERAL})单元\d*|\d{{3,}}室")

_NAME_SEPARATORS = re.compile(r"[、,;；/\s]+")
# The common compound surnames: 欧阳明华 → 欧阳某, not 欧某.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "西门", "南宫", "端木", "独孤", "呼延", "申屠", "百里", "东郭",
    "澹台", "公羊", "万俟", "闻人", "赫连", "拓跋", "左丘", "濮阳", "太史", "淳于", "单于", "司空",
    "闾丘", "亓官", "段干", "乐正", "宗政", "公冶", "羊舌", "梁丘", "第五",
})  # fmt: skip


@dataclass(frozen=True)
class _Span:
    start: int  # in the folded text
    end: int
    replacement: str


@dataclass(frozen=True)
class _Folded:
    """The text with every character in its NFKC form, and where each character came from,
    so that a match in the folded text replaces exactly the characters as written."""

    text: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> _Folded:
        parts: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            folded = char if char.isascii() else unicodedata.normalize("NFKC", char)
            parts.append(folded)
            origin.extend([index] * len(folded))
        return cls("".join(parts), tuple(origin))


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """The text with ID, card and phone numbers, house numbers and the given names masked.
    `names` may be single names or whole fields as entered (张三、李四)."""
    folded = _Folded.of(text)
    spans: list[_Span] = []
    # Numbers first: a name or house number that overlaps one is dropped unless it covers
    # it whole, so no digit of a number is ever left out of its mask.
    for found in (
        _number_spans(folded.text),
        _name_spans(folded.text, split_names(*names)),
        _house_spans(folded.text),
    ):
        for span in found:
            clashes = [t for t in spans if _overlap(span, t)]
            if all(span.start <= t.start and t.end <= span.end for t in clashes):
                spans = [t for t in spans if t not in clashes] + [span]
    return _rebuild(text, folded, sorted(spans, key=lambda s: s.start))


def split_names(*fields: str) -> list[str]:
    """Single names from fields as entered: separated by 、，, ; or spaces. A name of one
    character (a bare surname) or with digits in it is left out: masking it would blot out
    every such character or cut through a number."""
    names: set[str] = set()
    for field in fields:
        for name in _NAME_SEPARATORS.split(unicodedata.normalize("NFKC", field)):
            if len(name) >= 2 and not any(c.isdigit() for c in name):
                names.add(name)
    return sorted(names, key=lambda n: (-len(n), n))


def masked_name(name: str) -> str:
    """张三 → 张某, 欧阳明华 → 欧阳某 (a compound surname only with a given name after it)."""
    surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[:1]
    return surname + "某"


def _overlap(a: _Span, b: _Span) -> bool:
    return a.start < b.end and b.start < a.end


def _rebuild(text: str, folded: _Folded, spans: Sequence[_Span]) -> str:
    out: list[str] = []
    position = 0
    for span in spans:
        start = max(folded.origin[span.start], position)
        out += [text[position:start], span.replacement]
        position = folded.origin[span.end - 1] + 1
    out.append(text[position:])
    return "".join(out)


def _name_spans(text: str, names: Sequence[str]) -> list[_Span]:
    spans: list[_Span] = []
    for name in names:  # longest first: 欧阳明华 before a 欧阳明 that is also named
        start = text.find(name)
        while start >= 0:
            span = _Span(start, start + len(name), masked_name(name))
            if not any(_overlap(span, s) for s in spans):
                spans.append(span)
            start = text.find(name, start + len(name))
    return spans


def _house_spans(text: str) -> list[_Span]:
    spans = [_Span(m.start(1), m.end(1), STARS) for m in _AFTER_PLACE.finditer(text)]
    for match in _HOUSE.finditer(text):
        span = _Span(match.start(), match.end(), STARS)
        if not any(_overlap(span, s) for s in spans):
            spans.append(span)
    return spans


def _number_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for chain in _chains(text):
        first = 0
        while first < len(chain):
            found = _longest_number(text, chain, first)
            if found is not None:
                last, span = found
                spans.append(span)
                first = last + 1
                continue
            group = chain[first]
            if len(group.group()) >= 7:  # a number of no known kind: still 7 digits too many
                spans.append(_Span(group.start(), group.end(), _keep_last_four(group.group())))
            first += 1
    return spans


def _chains(text: str) -> list[list[re.Match[str]]]:
    """The groups of digits outside dates, those written as one number chained together."""
    in_dates = {i for m in _DATE.finditer(text) for i in range(*m.span())}
    groups = [g for g in _GROUP.finditer(text) if g.start() not in in_dates]
    chains: list[list[re.Match[str]]] = []
    for group in groups:
        if chains and _JOIN.fullmatch(text, chains[-1][-1].end(), group.start()):
            chains[-1].append(group)
        else:
            chains.append([group])
    return chains


def _longest_number(
    text: str, chain: Sequence[re.Match[str]], first: int
) -> tuple[int, _Span] | None:
    """The most groups from `first` on that make an ID, phone or card number together."""
    found: tuple[int, _Span] | None = None
    digits = ""
    for last in range(first, len(chain)):
        groups = chain[first : last + 1]
        if last > first and not _joinable([g.group() for g in groups]):
            break
        digits += chain[last].group()
        if len(digits) > 19:
            break
        span = _classify(text, groups, digits)
        if span is not None:
            found = (last, span)
    return found


def _joinable(groups: Sequence[str]) -> bool:
    if all(len(g) <= _LONGEST_GROUP_JOINED for g in groups):
        return True
    return len(groups) == 2 and groups[0] in _PREFIXES


def _classify(text: str, groups: Sequence[re.Match[str]], digits: str) -> _Span | None:
    start, end = groups[0].start(), groups[-1].end()
    check = text[end : end + 1]
    if len(digits) == 17 and check in ("X", "x") and _is_id(digits + "X"):
        return _Span(start, end + 1, digits[:2] + "*" * 10 + digits[-3:] + check)
    if mobile := _MOBILE.fullmatch(digits):
        prefix, number = mobile.group(1) or "", mobile.group(2)
        if prefix and start > 0 and text[start - 1] == "+":
            start, prefix = start - 1, "+" + prefix
        # The prefix stands apart, or 0086 and the 138 after it would make a run of seven.
        shown = f"{prefix} " if prefix else ""
        return _Span(start, end, f"{shown}{number[:3]}****{number[-4:]}")
    if _ID_BODY.fullmatch(digits) and _is_id(digits):
        return _Span(start, end, digits[:2] + "*" * 10 + digits[-4:])
    if _LANDLINE.fullmatch(digits):
        area = 3 if digits[1] in "12" else 4  # 010, 02x: three digits; the rest four
        apart = len(groups) > 1 and len(groups[0].group()) == area
        return _Span(start, end, digits[:area] + ("-" if apart else "") + "****" + digits[-4:])
    if 12 <= len(digits) <= 19:
        return _Span(start, end, _keep_last_four(digits))
    return None


def _is_id(digits: str) -> bool:
    """A birth date where an ID number has it: 18 digits YYYYMMDD at 7-14, 15 digits YYMMDD
    at 7-12. Other numbers of that length are masked as card numbers."""
    if len(digits) == 18:
        year, month, day = digits[6:10], digits[10:12], digits[12:14]
        if not ("1900" <= year <= "2099"):
            return False
    else:
        month, day = digits[8:10], digits[10:12]
    return "01" <= month <= "12" and "01" <= day <= "31"


def _keep_last_four(digits: str) -> str:
    return "*" * (len(digits) - 4) + digits[-4:]
