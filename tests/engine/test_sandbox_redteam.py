"""Attacks found by red-teaming the sandbox that got through its guards: each one is stopped
now with a message that names the limit.

- A tuple nested deeper than MAX_DEPTH hashed through a path that checked only tuple
  arguments (a pair given as a list to dict(), a list given to a set method or to a dict
  view's operator): at ~100,000 levels CPython's recursive tuple hash crashed the process.
- Shared references: a list of 100,000 references to one long list is 100,000 items to
  build, yet comparing or hashing it visits 10**10 in one C call, far past the deadline.
- Integers past 2**61 - 1 that Python hashes alike: a set of 30,000 of them built in one C
  call took seconds (quadratic probing)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from engine import sandbox
from engine.errors import ScriptLimitExceeded
from engine.sandbox_limits import TIME_LIMIT

PROMPT = TIME_LIMIT + 1.5  # seconds: the limit, plus room for a slow CI machine


def _deep(levels: int) -> tuple[Any, ...]:
    value: tuple[Any, ...] = ()
    for _ in range(levels):
        value = (value,)
    return value


# A tuple 50 levels deep stands for the 100,000 that crash the process: the guard must refuse
# it before hashing, whichever path leads to the hash.
DEEP_HASHED = [
    ("pair given as a list to dict()", "z = dict([[t, 1]])"),
    ("pair given as a list to dict.update", "z = {}\nz.update([[t, 1]])"),
    ("list given to set.issubset", "z = {1}.issubset([t])"),
    ("list given to set.issuperset", "z = {1}.issuperset([t])"),
    ("dict keys view and a list", "z = len({1: 2}.keys() & [t])"),
    ("dict items view and a list", "z = len({1: 2}.items() | [(t, 1)])"),
    ("list of tuples compared", "z = [t] == [t]"),
]


@pytest.mark.parametrize("case", DEEP_HASHED, ids=lambda c: c[0])
def test_a_deep_tuple_is_refused_before_any_hash(case: tuple[str, str]) -> None:
    _, script = case
    data: dict[str, Any] = {"t": _deep(50)}
    with pytest.raises(ScriptLimitExceeded, match="嵌套过深"):
        sandbox.execute(script + "\nt = 0", data)


SHARED = "x = [0] * 99999\ny = x[:]\na = [x] * 99999\nb = [y] * 99999\n"
TUPLES = "x = tuple(range(99999))\na = tuple([x] * 99999)\n"
COLLIDING = "m = 2 ** 61 - 1\nk = [1 + i * m for i in range(30000)]\n"  # hashed alike
# (technique, script): each builds a few hundred thousand items, then one call visits 10**10.
HEAVY = [
    ("lists of shared lists compared", SHARED + "z = a == b"),
    ("a list of shared lists counted", SHARED + "z = a.count(y)"),
    ("shared lists sorted", SHARED + "z = len(sorted([x, y] * 40000))"),
    ("shared lists sorted in place", SHARED + "c = [x, y] * 40000\nc.sort()"),
    ("max of shared lists", SHARED + "z = len(max(a))"),
    ("a tuple of shared tuples hashed", TUPLES + "z = {a: 1}"),
    ("a tuple of shared tuples in a set", TUPLES + "z = len(set([a]))"),
    ("colliding integers in a set", COLLIDING + "z = len(set(k))"),
    ("colliding integers as dict keys", COLLIDING + "z = len(dict(zip(k, k)))"),
    ("colliding integers in a set method", COLLIDING + "z = {1}.issubset(k)"),
]


@pytest.mark.parametrize("case", HEAVY, ids=lambda c: c[0])
def test_work_that_shared_or_colliding_values_hide_is_refused_promptly(
    case: tuple[str, str],
) -> None:
    _, script = case
    started = time.perf_counter()
    with pytest.raises(ScriptLimitExceeded):
        sandbox.execute(script, {})
    assert time.perf_counter() - started < PROMPT


def test_comparing_and_hashing_ordinary_values_still_works() -> None:
    data: dict[str, Any] = {"rows": [{"id": i, "amount": i * 10} for i in range(2000)]}
    sandbox.execute(
        "big = 2 ** 70\n"
        "same = rows == rows[:]\n"
        "found = {'id': 5, 'amount': 50} in rows\n"
        "ids = sorted(set([r['id'] for r in rows]), reverse=True)[:3]\n"
        "pairs = dict([[r['id'], r['amount']] for r in rows])\n"
        "largest = max([big, 1]) == big\n"
        "labels = {(1, 2): 'a'}[(1, 2)]\n",
        data,
    )
    assert data["same"] is True and data["found"] is True
    assert data["ids"] == [1999, 1998, 1997] and len(data["pairs"]) == 2000
    assert data["largest"] is True and data["labels"] == "a"


@pytest.mark.parametrize(
    "script",
    [
        "x = 1e308 * 10",
        "x = -1e308 * 10",
        "big = 1e308 * 10\nx = big - big",
        "x = [1.5, 1e308 * 10]",
    ],
)
def test_infinity_and_nan_are_not_left_in_task_data(script: str) -> None:
    # JSON has neither: the API's answers and the stored state would carry text no reader takes.
    data: dict[str, Any] = {}
    with pytest.raises(sandbox.ScriptRefused, match="不是有效数字"):
        sandbox.execute(script, data)
    assert data == {}


def test_finite_floats_are_kept() -> None:
    data: dict[str, Any] = {}
    sandbox.execute("x = 1e308\ny = [0.1 + 0.2, -2.5]", data)
    assert data == {"x": 1e308, "y": [0.1 + 0.2, -2.5]}
