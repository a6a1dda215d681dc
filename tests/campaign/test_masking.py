"""Masking of personal information in what is published: a corpus of the ways people write
ID, card and phone numbers, house numbers and names, each with what the public must see, and
the numbers that must stay as written."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.masking import mask_text, masked_name, split_names

NAMES = "张三、欧阳明华，李四 王五五"

# Family: [(as written, as published)]. The names recorded on the problem and its clues are
# NAMES in every case; a negative is published as written.
CORPUS: dict[str, list[tuple[str, str]]] = {
    "id": [
        ("身份证420704198801011234", "身份证42**********1234"),
        ("身份证号42070419880101123X。", "身份证号42**********123X。"),
        ("42070419880101123x", "42**********123x"),
        ("4201 0619 9001 0112 34", "42**********1234"),
        ("420106 19900101 1234", "42**********1234"),
        ("420106-19900101-1234", "42**********1234"),
        ("4201 0619 9001 0112 3X", "42**********123X"),
        ("４２０７０４１９８８０１０１１２３４", "42**********1234"),
        ("旧身份证420704880101123", "旧身份证42**********1123"),
    ],
    "card": [
        ("卡号6228480012345678901", "卡号***************8901"),
        ("6228 4800 1234 5678 901", "***************8901"),
        ("6228-4800-1234-5678-901", "***************8901"),
        ("6217 0000 1000 2345", "************2345"),
        ("存折号 6013 8212 3456", "存折号 ********3456"),
        ("６２２８ ４８００ １２３４ ５６７８", "************5678"),
    ],
    "mobile": [
        ("电话13812341234", "电话138****1234"),
        ("138-1234-5678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+86-138-1234-5678", "+86 138****5678"),
        ("008613812345678", "0086 138****5678"),
        ("0086 13812345678", "0086 138****5678"),
        ("8613812345678", "86 138****5678"),
        ("１３８１２３４１２３４", "138****1234"),
        ("电话：１３８－１２３４－５６７８。", "电话：138****5678。"),
        ("联系人手机　138　1234　5678", "联系人手机　138****5678"),
    ],
    "landline": [
        ("027-60670176", "027-****0176"),
        ("02760670176", "027****0176"),
        ("027 6067 0176", "027-****0176"),
        ("0715-1234567", "0715-****4567"),
        ("010-12345678", "010-****5678"),
        ("（027）60670176", "（027）****0176"),
    ],
    "long-number": [
        ("编号12345678901", "编号*******8901"),
        ("户号 1234567", "户号 ***4567"),
        # Undistinguishable from an account number: masked (docs/security.md).
        ("追回1234567.89元", "追回***4567.89元"),
        ("20220615", "****0615"),
    ],
    "house": [
        ("柳塘村3组18号", "柳塘村***"),
        ("青山镇柳塘村三组18号", "青山镇柳塘村***"),
        ("XX社区5栋2单元301室", "XX社区***"),
        ("柳塘村３组１８号农户", "柳塘村***农户"),
        ("家住白沙村十二组", "家住白沙村***"),
        ("建设路18号", "建设路***"),
        ("阳光小区3号楼2单元502室", "阳光小区***"),
        ("户籍在3组18号", "户籍在***"),
        ("住5栋2单元301室", "住***"),
        ("2单元501", "***"),
        ("迁至302室", "迁至***"),
    ],
    "name": [
        ("村会计张三截留补贴", "村会计张某截留补贴"),
        ("欧阳明华、李四、王五五均已退赔", "欧阳某、李某、王某均已退赔"),
        ("张三与张三丰", "张某与张某丰"),
        ("Ｚ张三", "Ｚ张某"),
    ],
    "all-at-once": [
        (
            "青山村3组18号农户张三，身份证4201 0619 9001 0112 34，电话+86 138 1234 5678，"
            "卡号6228 4800 1234 5678 901，于2022-06-15退还3,600.00元。",
            "青山村***农户张某，身份证42**********1234，电话+86 138****5678，"
            "卡号***************8901，于2022-06-15退还3,600.00元。",
        ),
    ],
    "kept": [
        (text, text)
        for text in (
            "涉及金额3,600.00 元，追回1,234,567.89元",
            "2022-06-15完成整改",
            "2022/6/15、2022.06.15、2022年6月15日",
            "整改期限2022-06-15—2022-07-15",
            "2021—2022年度补贴",
            "台账编号2022-QSZ-0001，线索XS-2022-0001",
            "涉及3户7人，违规代管12张卡",
            "依据临空财发〔2022〕4号、第18号文件",
            "18号文件要求",
            "共3组18人参与",
            "新建3栋房屋",
            "第三组检查专班",
            "2022年以来",
            "邮编436000",
            "青山村、柳塘村",
            "举报电话 12345",
            "张某、李某",
        )
    ],
}
CASES = [
    pytest.param(written, published, id=f"{family}-{n}")
    for family, cases in CORPUS.items()
    for n, (written, published) in enumerate(cases, 1)
]


@pytest.mark.parametrize(("written", "published"), CASES)
def test_the_corpus_is_published_masked(written: str, published: str) -> None:
    assert mask_text(written, names=[NAMES]) == published


def test_names_split_on_every_separator_and_bare_surnames_are_left_out() -> None:
    assert split_names("张三、李四，王五,赵六 钱七；孙八", "张", "", "李四", "张3") == [
        "孙八",
        "张三",
        "李四",
        "王五",
        "赵六",
        "钱七",
    ]
    assert [masked_name(n) for n in ("张三", "欧阳明华", "司马光", "欧阳")] == [
        "张某",
        "欧阳某",
        "司马某",
        "欧某",
    ]


def test_a_longer_name_is_masked_before_a_shorter_one_inside_it() -> None:
    assert mask_text("欧阳明华和欧阳明", names=["欧阳明", "欧阳明华"]) == "欧阳某和欧阳某"


# Random text with numbers embedded the ways people write them.
_DIGITS = st.sampled_from(["0123456789", "０１２３４５６７８９"])
_SEPARATORS = st.sampled_from(["", "", "", " ", "-", "—", "－", "　", " - "])
_WORDS = st.text(
    alphabet=st.sampled_from(
        list("村组号栋单元室社区路卡电话身份证金额元年月日，。、：（）+Xx ab-")
    ),
    max_size=6,
)


@st.composite
def _numbers(draw: st.DrawFn) -> str:
    digits = draw(_DIGITS)
    value = draw(st.text(alphabet=st.sampled_from("0123456789"), min_size=1, max_size=24))
    separator = draw(_SEPARATORS)
    cut = draw(st.integers(min_value=1, max_value=8))
    written = [digits[int(d)] for d in value]
    groups = ["".join(written[i : i + cut]) for i in range(0, len(written), cut)]
    prefix = draw(st.sampled_from(["", "", "+86", "0086", "+86 "]))
    return prefix + separator.join(groups)


@settings(max_examples=400, database=None, deadline=None)
@given(st.lists(st.one_of(_WORDS, _numbers()), max_size=8), st.lists(_WORDS, max_size=2))
def test_no_run_of_seven_digits_survives(parts: list[str], names: list[str]) -> None:
    published = unicodedata.normalize("NFKC", mask_text("".join(parts), names=names))
    assert not re.search(r"\d{7,}", published), published


_HOUSE_WORDS = "零〇一二三四五六七八九十百两第组队号栋幢座室楼层单元"
_NO_NUMBERS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF, exclude_characters=_HOUSE_WORDS),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E, exclude_categories=["Nd"]),
    st.sampled_from(list("，。、；：（）《》“”—-+ \u3000\n")),
)


@settings(max_examples=300, database=None, deadline=None)
@given(st.text(alphabet=_NO_NUMBERS, max_size=60))
def test_text_without_numbers_or_house_numbers_is_kept_as_written(text: str) -> None:
    assert mask_text(text) == text
