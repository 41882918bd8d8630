"""The 民族 codes of GB/T 3304 as a second-generation ID card stores them (two digits), with the name the
card prints (without 族)."""

from __future__ import annotations

_NAMES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
    "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 "
    "保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()

NATIONS: dict[str, str] = {f"{i:02d}": name for i, name in enumerate(_NAMES, start=1)}
NATIONS.update({"97": "其他", "98": "外国血统中国籍人士"})


def nation_name(code: str) -> str:
    """The name for a code; an unknown code is shown as it is (never guessed)."""
    return NATIONS.get(code, code)
