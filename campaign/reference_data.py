"""Reference data from 临空财发〔2022〕4号, loaded into the database by `ykt init`.

This is the seed, not the source of truth: once loaded, programmes and units are rows that
administrators may extend (a later campaign adds or renames programmes)."""

from __future__ import annotations

from datetime import date

DISTRICT = ("LKQ", "鄂州市临空经济区", "district", None)
LEADING_OFFICE_CODE = "CJJ-ZHK"
DISCIPLINE_CODE = "JJW"

# (code, name, kind, parent code), in display order.
UNITS: list[tuple[str, str, str, str | None]] = [
    DISTRICT,
    ("CJJ", "区财政金融局", "bureau", "LKQ"),
    (LEADING_OFFICE_CODE, "区财政金融局综合科（领导小组办公室）", "office", "CJJ"),
    ("SWJ", "区社会事务局", "bureau", "LKQ"),
    ("ZRJ", "区组织人事局", "bureau", "LKQ"),
    ("NYNC", "区农业农村部门", "department", "LKQ"),
    ("MZ", "区民政部门", "department", "LKQ"),
    ("RS", "区人社部门", "department", "LKQ"),
    ("XCZX", "区乡村振兴部门", "department", "LKQ"),
    (DISCIPLINE_CODE, "区纪检委", "discipline", "LKQ"),
    ("JCZB1", "区直检查专班一组", "inspection_team", "LKQ"),
    ("JCZB2", "区直检查专班二组", "inspection_team", "LKQ"),
    ("JCZB3", "区直检查专班三组", "inspection_team", "LKQ"),
]

CAMPAIGN = {
    "code": "2022-HTK",
    "name": "惠民惠农财政补贴资金“一卡通”突出问题专项治理“回头看”",
    "year": 2022,
    "document_no": "临空财发〔2022〕4号",
    "starts_on": date(2022, 5, 1),
    "ends_on": date(2022, 12, 31),
}

# (seq, name, starts, ends): 动员部署 by mid-May, 集中整治 June–November, 总结报告 by end December.
PHASES = [
    (1, "动员部署", date(2022, 5, 1), date(2022, 5, 15)),
    (2, "集中整治", date(2022, 6, 1), date(2022, 11, 30)),
    (3, "总结报告", date(2022, 12, 1), date(2022, 12, 31)),
]

# (code, name, recurrence, day of month, due date, owed by unit kinds, recipient unit code),
# in the order they fall due.
DEADLINES: list[tuple[str, str, str, int | None, date | None, str, str]] = [
    (
        "monthly_report",
        "自查自纠发现问题月报",
        "monthly",
        23,
        None,
        "department,township",
        LEADING_OFFICE_CODE,
    ),
    (
        "stage_summary",
        "阶段性工作总结",
        "once",
        None,
        date(2022, 7, 5),
        "department,township",
        LEADING_OFFICE_CODE,
    ),
    (
        "spot_check",
        "重点抽查情况报告（每村不低于5户）",
        "once",
        None,
        date(2022, 7, 31),
        "township",
        LEADING_OFFICE_CODE,
    ),
    (
        "annual_summary",
        "年度工作总结",
        "once",
        None,
        date(2022, 12, 5),
        "department,township",
        LEADING_OFFICE_CODE,
    ),
]

# The 20 central and provincial programmes of Attachment 2, numbered 1..20.
PROGRAMMES = [
    "困难群众救助资金",
    "社会救助资金",
    "残疾人两项补贴",
    "残疾人事业发展补助资金",
    "城乡医疗救助补助资金",
    "就业补助资金",
    "计划生育转移支付资金",
    "优抚对象补助资金",
    "高龄津贴财政补助资金",
    "大中型水库移民后期扶持基金(移民补助)",
    "耕地地力保护补贴",
    "实际种粮农民一次性补贴",
    "农机购置补贴",
    "省级生态公益林补偿资金",
    "完善退耕还林政策补助资金",
    "新一轮退耕还林还草补助资金",
    "生态护林员补助资金",
    "2021年中央和省级农村危房改造资金",
    "2021年中央和省级自然灾害救灾资金",
    "2021年租赁住房补贴",
]

FOCUS_GROUPS = [
    (
        1,
        "政策落实、资金管理不到位问题",
        [
            "违规将资金大项拆成小项，多头管理",
            "资金发放不及时、不足额，应享受政策未享受",
            "超标准超范围发放，应退出未退出、不该享受的违规享受",
            "应通过“一卡通”发放而不采用“一卡通”发放、该直发而又进行“二次分配”",
            "政策清单未按要求向社会公布或政策宣传和分配结果公示公开不到位",
            "未建立“一卡通”资金管理台账，未履行审核审批程序和监督责任，"
            "未及时核实更新补贴对象身份信息，未发放的资金未按规定存放",
            "财政补贴政策不符合实际、漏洞较多、政策效果不明显",
        ],
    ),
    (
        2,
        "“一卡通”办理、发放和使用不规范问题",
        [
            "部门“画地为牢”，竞相办理“一卡通”，导致群众“一人多卡”",
            "代理银行过多过滥，代理银行未按照湖北银保监局要求选定",
            "有关部门和代理银行违规收费、增加群众负担",
        ],
    ),
    (
        3,
        "违法违规问题",
        [
            "在申报审核及办卡过程中优亲厚友、吃拿卡要、以权谋私",
            "用无关人员身份证件办理“一卡通”，虚报冒领财政补贴资金",
            "贪污侵占、截留挪用补贴资金",
            "未经本人同意，私自保管甚至扣押群众“一卡通”",
        ],
    ),
]

# The 14 problem columns of Attachment 2, in order; one counts cards, the rest are money.
STAT_CATEGORIES: list[tuple[str, str, str]] = [
    ("S01", "贪污侵占", "money"),
    ("S02", "截留挪用", "money"),
    ("S03", "虚报冒领", "money"),
    ("S04", "私存私分", "money"),
    ("S05", "克扣索要", "money"),
    ("S06", "超范围超标准发放", "money"),
    ("S07", "发放不及时", "money"),
    ("S08", "未足额发放", "money"),
    ("S09", "结存资金未按规定存放", "money"),
    ("S10", "未按规定形式发放", "money"),
    ("S11", "未按规定进行公示公告", "money"),
    ("S12", "违规代管“一卡通”数量", "cards"),
    ("S13", "应享受未享受", "money"),
    ("S14", "其他", "money"),
]
