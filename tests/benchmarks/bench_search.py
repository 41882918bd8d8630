"""Benchmark: matter search per keystroke over a generated 10,000-matter catalogue (run by hand)."""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desktop.core.search import MatterIndex
from desktop.core.types import MaterialSpec, Matter

DISTRICTS = [
    "浦东新区",
    "黄浦区",
    "静安区",
    "徐汇区",
    "长宁区",
    "普陀区",
    "虹口区",
    "杨浦区",
    "闵行区",
    "宝山区",
    "嘉定区",
    "金山区",
    "松江区",
    "青浦区",
    "奉贤区",
    "崇明区",
]
DEPARTMENTS = [
    "市场监督管理局",
    "人力资源和社会保障局",
    "民政局",
    "医疗保障局",
    "住房保障和房屋管理局",
    "卫生健康委员会",
    "税务局",
    "公安分局",
    "文化和旅游局",
    "交通委员会",
    "生态环境局",
    "教育局",
]
OBJECTS = [
    "企业",
    "营业执照",
    "食品经营",
    "公共场所卫生",
    "居住证",
    "灵活就业",
    "城乡居民医保",
    "生育医疗费用",
    "老年综合津贴",
    "残疾人证",
    "廉租住房",
    "独生子女父母奖励",
    "医疗器械经营",
    "药品零售",
    "道路运输经营",
    "人力资源服务",
    "劳务派遣经营",
    "出版物零售",
    "网络文化经营",
    "养老机构",
    "民办学校",
    "建筑工程施工",
    "排污许可",
    "消防安全检查",
    "户口迁移",
    "就业失业登记",
    "最低生活保障",
    "临时救助",
    "婚姻登记档案",
    "公租房",
    "二手房交易",
    "医师执业",
    "护士执业",
    "母婴保健技术服务",
    "放射诊疗",
    "个体工商户",
]
ACTIONS = [
    "设立登记",
    "变更登记",
    "注销登记",
    "许可",
    "许可证延续",
    "许可证补办",
    "备案",
    "申领",
    "补领",
    "换领",
    "报销",
    "参保登记",
    "资格认定",
    "年度报告",
    "证明开具",
    "信息查询",
    "审核",
    "核准",
]
QUALIFIERS = [
    "",
    "新办",
    "延续",
    "变更法定代表人",
    "变更经营范围",
    "变更住所",
    "外商投资",
    "分支机构",
    "个人独资企业",
    "合伙企业",
    "农民专业合作社",
    "港澳台投资",
    "首次申请",
    "跨区迁移",
    "遗失补办",
    "到期换发",
    "集体户",
    "非本市户籍",
    "本市户籍",
    "单位职工",
    "退休人员",
    "在校学生",
    "重度残疾",
    "一级",
    "二级",
    "三级",
    "特殊情形",
    "简易程序",
    "告知承诺",
    "容缺受理",
]


def generated_catalogue(n: int = 10_000, seed: int = 7) -> list[Matter]:
    rng = random.Random(seed)
    matters = []
    for i in range(n):
        obj, act = rng.choice(OBJECTS), rng.choice(ACTIONS)
        district = DISTRICTS[i % len(DISTRICTS)]
        qualifier = rng.choice(QUALIFIERS)
        name = f"{obj}{act}" if i % 3 else f"{district}{obj}{act}"
        if qualifier:
            name += f"（{qualifier}）"
        kind = "ENT" if i % 2 else "PER"
        matters.append(
            Matter(
                code=f"SH-{kind}-{i:05d}",
                name=name,
                department=f"{district}{rng.choice(DEPARTMENTS)}",
                mode=rng.choice(["online_full", "delegated", "entrusted_receipt", "local"]),
                applicant_kinds=("enterprise",) if kind == "ENT" else ("person",),
                on_the_spot=False,
                statutory_days=20,
                promised_days=rng.randint(1, 20),
                commitment_allowed=False,
                materials=(MaterialSpec("M01", "身份证", True),),
                keywords=(obj, act[:2]),
            )
        )
    return matters


QUERIES = [
    "营业执照",
    "yyzz",
    "yingyezhizhao",
    "SH-ENT-0123",
    "居住证",
    "jzz",
    "laonian",
    "食品经营许可",
    "cjrz",
    "zhuxiao",
    "浦东",
    "xyzq",
    "baoxiao",
    "登记",
]


def main() -> None:
    matters = generated_catalogue()
    started = time.perf_counter()
    index = MatterIndex(matters)
    build = time.perf_counter() - started
    print(f"catalogue: {len(matters)} matters, {len({m.name for m in matters})} distinct names")
    print(f"build: {build * 1000:.0f} ms")

    timings: list[float] = []
    per_query: list[tuple[str, float, float]] = []
    for _round in range(5):
        for query in QUERIES:
            mine: list[float] = []
            for end in range(1, len(query) + 1):
                typed = query[:end]
                t0 = time.perf_counter()
                index.search(typed)
                mine.append(time.perf_counter() - t0)
            timings.extend(mine)
            if _round == 0:
                per_query.append((query, max(mine) * 1000, statistics.median(mine) * 1000))
    timings.sort()
    median = statistics.median(timings) * 1000
    p95 = timings[int(len(timings) * 0.95) - 1] * 1000
    print(
        f"keystrokes: {len(timings)}  median {median:.3f} ms  p95 {p95:.3f} ms  max {timings[-1] * 1000:.3f} ms"
    )
    for query, worst, med in per_query:
        print(f"  {query:<16} median {med:.3f} ms  worst keystroke {worst:.3f} ms")


if __name__ == "__main__":
    main()
