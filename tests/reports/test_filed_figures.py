"""The filed document's serialisation and its cell-by-cell comparison, on random tables."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.reports.filed_figures import canonical, changes, has_figures, sha256

COLUMNS = [
    {"key": f"C{n}", "name": f"第{n}列", "measure": "money" if n % 2 else "count"} for n in range(6)
]
VALUES = st.one_of(st.none(), st.integers(0, 10**12))


def _document(rows: dict[str, list[int | None]], columns: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "table": "attachment3",
        "scope": {"unit": "LKQ"},
        "columns": columns,
        "rows": [
            {"kind": "unit", "key": key, "number": n, "name": f"单位{key}", "values": values}
            for n, (key, values) in enumerate(rows.items(), start=1)
        ]
        + [{"kind": "section", "key": "", "number": None, "name": "(小节)", "values": []}],
    }


@st.composite
def versions(draw: st.DrawFn) -> tuple[dict[str, list[int | None]], dict[str, list[int | None]]]:
    keys = draw(st.lists(st.sampled_from("ABCDEFGH"), min_size=1, max_size=6, unique=True))
    filed = {k: draw(st.lists(VALUES, min_size=6, max_size=6)) for k in keys}
    current = {k: list(v) for k, v in filed.items()}
    for key in draw(st.lists(st.sampled_from(keys), max_size=4)):
        column = draw(st.integers(0, 5))
        current[key][column] = draw(VALUES)
    for key in draw(st.lists(st.sampled_from(keys), max_size=2, unique=True)):
        if draw(st.booleans()):
            del current[key]  # a row gone (a unit no longer in scope)
    for key in draw(st.lists(st.sampled_from("IJK"), max_size=2, unique=True)):
        current[key] = draw(st.lists(VALUES, min_size=6, max_size=6))  # a new row
    return filed, current


@settings(max_examples=300, database=None, deadline=None)
@given(versions())
def test_the_changes_are_exactly_the_cells_that_differ(
    pair: tuple[dict[str, list[int | None]], dict[str, list[int | None]]],
) -> None:
    filed, current = pair
    found = changes(_document(filed, COLUMNS), _document(current, COLUMNS))
    expected = {
        (key, column["key"]): (old, new)
        for key in filed.keys() | current.keys()
        for index, column in enumerate(COLUMNS)
        if (old := (filed.get(key) or [None] * 6)[index])
        != (new := (current.get(key) or [None] * 6)[index])
    }
    assert {(c.row_key, c.column_key): (c.filed, c.current) for c in found} == expected
    assert len(found) == len(expected)  # each cell once
    assert all(c.column_name == f"第{c.column_key[1:]}列" for c in found)


def test_the_serialisation_is_one_and_the_hash_names_it() -> None:
    document = _document({"A": [1, None, 3, 0, 0, 0]}, COLUMNS)
    shuffled = json.loads(json.dumps(document, sort_keys=False))
    shuffled = dict(reversed(list(shuffled.items())))
    assert canonical(shuffled) == canonical(document)
    assert " " not in canonical(document).replace("(小节)", "")
    assert "单位A" in canonical(document)  # Chinese as is, not \\u escapes
    assert sha256(canonical(document)) == sha256(canonical(document).encode("utf-8"))
    assert len(sha256(canonical(document))) == 64


def test_a_table_of_zeros_or_a_population_alone_has_no_figures() -> None:
    columns = [{"key": "population", "name": "县总人口数", "measure": "count"}, *COLUMNS[:2]]
    assert not has_figures(_document({"A": [186000, 0, None]}, columns))
    assert has_figures(_document({"A": [None, 0, 1]}, columns))
