"""Synthetic applicants and phrases for demo data (desktop/core/demodata.py): names from common surnames and
given names, resident ID numbers and unified social credit codes with valid check characters (never a real
person's: the address code is the centre's district, birth dates and serials are drawn at random), phones
in the 139 0000 range. Everything is drawn from the caller's random.Random, so a seed gives the same people."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from desktop.core.identity import id_check_char, uscc_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "晓东", "海燕", "志强", "丹", "鑫", "佳怡", "子轩", "欣怡", "浩然", "雨涵",
         "俊杰", "文博", "思远", "一鸣", "婷婷", "玉兰", "国庆")
FIRMS = ("申城", "浦江", "徐汇", "汇金", "衡山", "漕河", "龙华", "天平", "康健", "华泾", "长桥", "凌云", "虹梅", "田林")
TRADES = ("科技", "餐饮管理", "商贸", "文化传播", "信息技术", "物业管理", "医药", "教育咨询", "建筑装饰", "物流")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

DEFECTS = ("复印件不清晰", "证件已过期", "未由申请人签字", "信息与申请表不一致", "缺少骑缝章", "页数不全")
REFUSALS = ("申请人不符合该事项的申请条件", "申请材料存在虚假内容", "申请事项已由其他机关办理")
DENIALS = ("经审查不符合法定条件", "现场核查与申报情况不符")
RETURNS = ("材料份数与清单不符", "缺少受理通知书", "快递包裹破损，材料不全")
BAD_COMMENTS = ("排队时间太长", "补正跑了两趟", "窗口人员解释不清楚", "")
QUESTIONS = (("需要带哪些材料", "已按事项目录告知所需材料及标准"), ("办理时限多长", "已告知承诺办结时限及结果领取方式"),
             ("可以网上办理吗", "已告知可通过一网通办提交，线下核验原件"), ("在哪个窗口办理", "已引导至综合窗口取号"),
             ("办事时间", "工作日 9:00-17:00，节假日安排另行公告"), ("能否委托他人办理", "可以，需提交授权委托书及受托人身份证件"))


def name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + rnd.choice(GIVEN)


def resident_id(rnd: random.Random, district: str) -> str:
    born = date(1950, 1, 1) + timedelta(days=rnd.randrange(365 * 55))
    body = f"{district[:6]:0<6}{born:%Y%m%d}{rnd.randrange(1000):03d}"
    return body + id_check_char(body)


def phone(rnd: random.Random) -> str:
    return f"1390000{rnd.randrange(10000):04d}"


def person(rnd: random.Random, district: str) -> dict[str, Any]:
    """A person as the case's applicant_json holds one (checks.person_json)."""
    return {"kind": "person", "name": name(rnd), "id_type": "resident_id", "id_no": resident_id(rnd, district),
            "phone": phone(rnd)}


def enterprise(rnd: random.Random, district: str) -> dict[str, Any]:
    """An enterprise with its contact person (checks.applicant_json)."""
    body = "91" + f"{district[:6]:0<6}" + "".join(rnd.choice(_USCC_ALPHABET) for _ in range(9))
    return {"kind": "enterprise", "name": f"上海{rnd.choice(FIRMS)}{rnd.choice(TRADES)}有限公司",
            "uscc": body + uscc_check_char(body), "contact": person(rnd, district)}


def id_of(applicant: dict[str, Any]) -> str:
    return applicant.get("uscc") or applicant.get("id_no") or ""


def receiver(applicant: dict[str, Any]) -> dict[str, Any]:
    """Who collects a result: the person, or the enterprise's contact."""
    return applicant.get("contact") or applicant
