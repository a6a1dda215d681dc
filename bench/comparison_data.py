"""Generated payment rolls and reference lists for 数据比对, with known anomalies planted
among clean rows: what the tests check the rules against (every planted anomaly found, no
clean row flagged) and what the benchmark loads at scale.

Two rolls of one period: A of a programme that excludes people on the public payroll and
has a standard (amount per person, age band), B of another programme without one. Clean
people each have their own ID and card, are paid within the standard, are of an age within
the band, appear once per roll, and when listed as another programme's beneficiary it is
in their own village; those on a village household list are of a type their programme is
for (roll A's: 低保户 or 特困户, or not recorded). Each planted anomaly breaks exactly one
rule, named by its code."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from campaign.comparison.protection import check_digit

PERIOD = "2022-06"
PAID_ON = date(2022, 6, 15)
ROLL_HEADER = ["姓名", "身份证号", "村", "开户银行", "卡号或账号", "金额", "发放日期", "项目"]
STANDARD_FEN = 100_000  # 1000 元 per person in roll A's programme
MIN_AGE, MAX_AGE = 16, 100
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰华红梅玉珍建国志文斌海燕春生林"
BANKS = ["湖北农信", "中国农业银行", "中国邮政储蓄银行", "中国建设银行"]
PLANTED_KINDS = ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10"]
# Roll A's programme is for these household types; roll B's is not restricted.
ALLOWED_TYPES = "低保户、特困户"
HOUSEHOLD_HEADER = ["村", "户编号", "户主姓名", "身份证号", "卡号", "户类型"]


def id_number(index: int, born: date) -> str:
    """A valid 18-digit ID, unique for each index below 10⁸ whatever the birth date."""
    region = 100000 + index // 1000
    first17 = f"{region:06d}{born:%Y%m%d}{index % 1000:03d}"
    return first17 + check_digit(first17)


def card_number(index: int) -> str:
    return f"6217{index:015d}"


@dataclass
class Planted:
    rule: str  # the rule code that must find it
    rows: frozenset[tuple[str, int]]  # (roll "A" or "B", row number in the file)


@dataclass
class Dataset:
    programmes: dict[str, str]  # roll -> programme code
    rolls: dict[str, list[list[str]]] = field(default_factory=dict)  # roll -> rows (no header)
    deceased: list[list[str]] = field(default_factory=list)
    payroll: list[list[str]] = field(default_factory=list)
    beneficiaries: list[list[str]] = field(default_factory=list)
    standards: list[list[str]] = field(default_factory=list)
    households: list[list[str]] = field(default_factory=list)  # village household lists
    planted: list[Planted] = field(default_factory=list)

    def roll_csv(self, roll: str) -> bytes:
        return to_csv(ROLL_HEADER, self.rolls[roll])

    def list_csv(self, kind: str) -> bytes:
        headers = {
            "deceased": ["身份证号", "死亡日期"],
            "payroll": ["身份证号", "工作单位"],
            "beneficiaries": ["身份证号", "项目", "村"],
            "standards": ["项目", "每人标准金额", "最低年龄", "最高年龄", "排除财政供养", "户类型"],
            "households": HOUSEHOLD_HEADER,
        }
        return to_csv(headers[kind], getattr(self, kind))


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


class _People:
    def __init__(self, rng: random.Random, villages: Sequence[str], start: int = 0) -> None:
        self.rng = rng
        self.villages = villages
        self.next = start

    def person(self, born: date | None = None) -> tuple[str, str, str, str]:
        """(name, ID, card, village) of a new person."""
        self.next += 1
        rng = self.rng
        born = born or date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28))
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
        return name, id_number(self.next, born), card_number(self.next), rng.choice(self.villages)

    def amount(self) -> str:
        return f"{self.rng.randint(100, STANDARD_FEN // 100 - 1)}.{self.rng.randint(0, 99):02d}"


def generate(
    seed: int,
    clean: int,
    villages: Sequence[str],
    *,
    programmes: tuple[str, str] = ("P01", "P02"),
    kinds: Sequence[str] = PLANTED_KINDS,
    reference_noise: int = 20,
    start: int = 0,
) -> Dataset:
    """`clean` clean people in each roll, one anomaly of each kind in `kinds` planted among
    them at random places, and `reference_noise` unrelated people on each reference list.
    People are numbered from `start` on (their IDs and cards follow from the number)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not a secret)
    people = _People(rng, villages, start)
    data = Dataset({"A": programmes[0], "B": programmes[1]})
    data.standards = [
        [
            programmes[0],
            f"{STANDARD_FEN / 100:.2f}",
            str(MIN_AGE),
            str(MAX_AGE),
            "是",
            ALLOWED_TYPES,
        ]
    ]
    rows: dict[str, list[tuple[list[str], str | None]]] = {"A": [], "B": []}

    def pay(
        roll: str, person: tuple[str, str, str, str], plant: str | None = None, **kw: str
    ) -> None:
        name, number, card, village = person
        row = [
            name,
            kw.get("id", number),
            kw.get("village", village),
            rng.choice(BANKS),
            kw.get("card", card),
            kw.get("amount", people.amount()),
            PAID_ON.isoformat(),
            data.programmes[roll],
        ]
        rows[roll].append((row, plant))

    for roll in ("A", "B"):
        for _ in range(clean):
            person = people.person()
            pay(roll, person)
            if rng.random() < 0.2:  # listed elsewhere, in the right village
                data.beneficiaries.append([person[1], "P09", person[3]])
            if rng.random() < 0.05:  # died after this payment: not an anomaly
                data.deceased.append([person[1], "2022-08-01"])
            if rng.random() < 0.3:  # on a household list, of a type the programme is for
                allowed = ["低保户", "特困户", ""] if roll == "A" else ["一般户", "脱贫户", ""]
                data.households.append(household_row(person, rng.choice(allowed)))
    for _ in range(reference_noise):
        data.deceased.append([people.person()[1], "2021-12-31"])
        data.payroll.append([people.person()[1], "区财政局"])
        other = people.person()
        data.beneficiaries.append([other[1], "P10", other[3]])
    for kind in kinds:
        _plant(kind, data, people, pay)
    for roll, found in rows.items():
        rng.shuffle(found)
        data.rolls[roll] = [row for row, _ in found]
        marks: dict[str, set[tuple[str, int]]] = {}
        for number, (_, plant) in enumerate(found, start=2):
            if plant:
                marks.setdefault(plant, set()).add((roll, number))
        for plant, where in marks.items():
            _record(data, plant.split("#")[0], where)
    return data


def household_row(person: tuple[str, str, str, str], household_type: str) -> list[str]:
    """The person as head of a household of their village's list (户编号 from the card)."""
    name, number, card, village = person
    return [village, f"H{card[-9:]}", name, number, card, household_type]


def _record(data: Dataset, rule: str, where: set[tuple[str, int]]) -> None:
    for planted in data.planted:
        if planted.rule == rule:
            planted.rows = planted.rows | frozenset(where)
            return
    data.planted.append(Planted(rule, frozenset(where)))


def _plant(kind: str, data: Dataset, people: _People, pay: object) -> None:
    p = people.person
    do = pay  # (roll, person, plant, **overrides)
    assert callable(do)
    villages = people.villages
    if kind == "R01":
        person = p()
        do("A", person, kind)
        data.deceased.append([person[1], "2022-03-01"])
    elif kind == "R02":
        person = p()
        do("A", person, kind)
        data.payroll.append([person[1], "某镇人民政府"])
    elif kind == "R03":
        person = p()
        do("A", person, kind)
        do("B", person, kind, card=card_number(900_000_000 + people.next))
    elif kind == "R04":
        shared = p()[2]
        for _ in range(3):
            do("B", p(), kind, card=shared)
    elif kind == "R05":
        do("A", p(), kind, amount=f"{STANDARD_FEN * 5 / 100:.2f}")
    elif kind == "R06":
        do("A", p(born=date(2015, 5, 5)), kind)
    elif kind == "R07":
        person = p()
        do("A", person, kind)
        do("A", person, kind)
    elif kind == "R08":
        person = p()
        elsewhere = next(v for v in villages if v != person[3])
        data.beneficiaries.append([person[1], "P09", elsewhere])
        do("B", person, kind)
    elif kind == "R10":
        person = p()
        data.households.append(household_row(person, "一般户"))
        do("A", person, kind)
    elif kind == "R09":
        person = p()
        elsewhere = next(v for v in villages if v != person[3])
        do("A", person, kind)
        do("B", person, kind, village=elsewhere)


def clean_rows(count: int, seed: int, villages: Sequence[str]) -> Iterator[list[str]]:
    """Only clean rows of one roll, streamed (for the benchmark's million)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not a secret)
    people = _People(rng, villages)
    for _ in range(count):
        name, number, card, village = people.person()
        yield [name, number, village, rng.choice(BANKS), card, people.amount(),
               PAID_ON.isoformat(), ""]  # fmt: skip
