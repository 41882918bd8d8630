"""Tests for the matter search a clerk types into: codes, Chinese names, pinyin and keywords."""

from __future__ import annotations

import time

import pytest

from desktop.core.search import MatterIndex, pinyin_forms
from desktop.core.types import Matter


def matter(code: str, name: str, keywords: tuple[str, ...] = ()) -> Matter:
    return Matter(
        code=code,
        name=name,
        department="上海市市场监督管理局",
        mode="delegated",
        applicant_kinds=("enterprise",),
        on_the_spot=False,
        statutory_days=20,
        promised_days=5,
        commitment_allowed=False,
        materials=(),
        keywords=keywords,
    )


MATTERS = [
    matter("SH-ENT-001", "企业设立登记", ("开公司", "注册公司")),
    matter("SH-ENT-002", "营业执照变更登记", ("换照",)),
    matter("SH-ENT-003", "营业执照补领"),
    matter("SH-ENT-004", "食品经营许可", ("餐饮", "开饭店")),
    matter("SH-ENT-010", "公共场所卫生许可", ("美容美发", "宾馆")),
    matter("SH-ENT-011", "个体工商户营业执照注销"),
    matter("SH-PER-001", "居住证办理", ("积分", "来沪人员")),
    matter("SH-PER-002", "灵活就业登记", ("社保",)),
    matter("SH-PER-003", "城乡居民医保参保登记", ("医疗保险",)),
    matter("SH-PER-004", "长宁区老年综合津贴申领", ("老人",)),
    matter("310101-001", "残疾人证办理"),
    matter("SH-ENT-020", "单位参保登记"),
]


@pytest.fixture(scope="module")
def index() -> MatterIndex:
    return MatterIndex(MATTERS)


def codes(results: list[Matter]) -> list[str]:
    return [m.code for m in results]


def test_empty_query_lists_first_by_code(index):
    assert codes(index.search("")) == sorted(m.code for m in MATTERS)
    assert codes(index.search("   ", limit=3)) == sorted(m.code for m in MATTERS)[:3]


def test_chinese_name_hits_prefix_before_substring_then_shorter_first(index):
    assert codes(index.search("营业")) == ["SH-ENT-003", "SH-ENT-002", "SH-ENT-011"]


def test_pinyin_initials(index):
    assert codes(index.search("yyzz")) == ["SH-ENT-003", "SH-ENT-002", "SH-ENT-011"]


def test_full_pinyin_prefix(index):
    assert codes(index.search("yingye")) == ["SH-ENT-003", "SH-ENT-002", "SH-ENT-011"]
    assert codes(index.search("ying ye")) == ["SH-ENT-003", "SH-ENT-002", "SH-ENT-011"]


def test_upper_case_pinyin(index):
    assert codes(index.search("JZZ"))[0] == "SH-PER-001"


def test_code_exact_then_prefix(index):
    assert codes(index.search("sh-ent-01")) == ["SH-ENT-010", "SH-ENT-011"]
    assert codes(index.search("SH-ENT-001"))[0] == "SH-ENT-001"
    assert codes(index.search("310101"))[0] == "310101-001"


def test_exact_code_beats_everything(index):
    shadow = MatterIndex([*MATTERS, matter("YYZZ", "其他事项")])
    assert codes(shadow.search("yyzz"))[0] == "YYZZ"


def test_initials_prefix_before_full_pinyin_prefix_before_substring(index):
    # "cx": initials of 城乡居民… (prefix); "zhizhao": inside the full pinyin of 营业执照… (substring)
    assert codes(index.search("cx")) == ["SH-PER-003"]
    assert codes(index.search("zhizhao")) == ["SH-ENT-003", "SH-ENT-002", "SH-ENT-011"]


def test_keyword_hits_come_last(index):
    assert codes(index.search("餐饮")) == ["SH-ENT-004"]
    assert codes(index.search("社保")) == ["SH-PER-002"]
    # "登记" is in names; 开公司 only as a keyword: name hits first
    assert codes(index.search("公司")) == ["SH-ENT-001"]


def test_keyword_pinyin(index):
    assert codes(index.search("kgs")) == ["SH-ENT-001"]


def test_heteronym_other_reading_still_found(index):
    # 单位 is a known phrase (danwei only); a lone heteronym keeps its other readings as extra forms
    assert codes(index.search("danwei")) == ["SH-ENT-020"]
    assert codes(index.search("dwcb")) == ["SH-ENT-020"]
    full, initials = pinyin_forms("行")
    assert {"xing", "hang"} <= set(full)
    assert {"x", "h"} <= set(initials)


def test_changning_is_read_chang(index):
    assert codes(index.search("changning")) == ["SH-PER-004"]
    assert codes(index.search("cnq")) == ["SH-PER-004"]


def test_limit(index):
    assert len(index.search("d", limit=2)) == 2
    assert index.search("登记", limit=0) == []


def test_no_hit(index):
    assert index.search("xyzxyz") == []
    assert index.search("火箭发射") == []


def test_get(index):
    assert index.get("sh-per-001").name == "居住证办理"
    assert index.get("nope") is None


def test_pinyin_forms():
    full, initials = pinyin_forms("营业执照（A类）")
    assert full[0] == "yingyezhizhaoalei"
    assert initials[0] == "yyzzal"


def generated(n: int) -> list[Matter]:
    objects = [
        "食品经营",
        "营业执照",
        "公共场所卫生",
        "居住证",
        "医疗器械",
        "道路运输",
        "养老机构",
        "残疾人证",
    ]
    actions = ["许可", "变更登记", "注销登记", "备案", "补领", "延续"]
    return [
        matter(f"GEN-{i:05d}", f"{objects[i % len(objects)]}{actions[i // 8 % len(actions)]}（第{i}号）")
        for i in range(n)
    ]


def test_large_catalogue_ranking_and_speed():
    index = MatterIndex(generated(3000))
    results = index.search("营业执照", limit=20)
    assert len(results) == 20
    assert all(m.name.startswith("营业执照") for m in results)
    lengths = [len(m.name) for m in results]
    assert lengths == sorted(lengths)
    started = time.perf_counter()
    for q in ["y", "yy", "yyz", "yyzz", "营", "营业", "gen-0", "gen-02", "执照", "zhizhao", "许可"]:
        index.search(q)
    assert (time.perf_counter() - started) / 11 < 0.02  # generous; the benchmark measures properly
