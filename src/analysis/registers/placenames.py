"""The forms in which registers write one place: full, short, with or without ethnic words, in pinyin
or English. Pure functions; :mod:`analysis.registers.placetables` builds its lookups from them.

* Chinese: 贡山独龙族怒族自治县 is also written 贡山县 and 贡山; 凉山彝族自治州 also 凉山州 and 凉山;
  克孜勒苏柯尔克孜自治州 also 克孜勒苏州 and 克州 (the last from the toolkit's alias table).
* Latin: "Liangshan Yi Autonomous Prefecture", "Liangshan", "liang shan" and "Liangshan Prefecture" all
  reduce to the key ``liangshan``, compared with the toneless pinyin of the short name (shipped in
  ``data/place_pinyin.csv``); conventional English names that are not pinyin (Garze, Kashgar, Hotan,
  Shigatse) are aliases in ``prefectures.csv`` and ``counties.csv``.
"""

from __future__ import annotations

import re
import unicodedata

# Minority names as they appear inside division names (with or without 族).
_ETHNIC = (
    "柯尔克孜|哈萨克|维吾尔|蒙古|傈僳|独龙|土家|布依|哈尼|纳西|拉祜|景颇|布朗|普米|阿昌|德昂|基诺|"
    "朝鲜|锡伯|达斡尔|鄂温克|鄂伦春|撒拉|保安|东乡|裕固|仫佬|毛南|仡佬|塔吉克|乌孜别克|俄罗斯|塔塔尔|"
    "门巴|珞巴|赫哲|藏|彝|回|怒|羌|苗|壮|侗|瑶|白|傣|佤|满|土|黎|畲|水|京|各"
)


_SUFFIX = {
    "prefecture": ("自治州", "地区", "盟", "市", "州"),
    "county": ("自治县", "自治旗", "特区", "林区", "县", "市", "区", "旗"),
}


_SHORT_SUFFIX = {"prefecture": ("州", "市", "地区"), "county": ("县", "市", "区", "旗")}


_ETHNIC_RUN = re.compile(f"(?:(?:{_ETHNIC})族?)+$")


def chinese_short(name: str, level: str) -> str:
    """The name without its administrative suffix and ethnic words: 贡山独龙族怒族自治县 -> 贡山,
    海西蒙古族藏族自治州 -> 海西, 和田地区 -> 和田; the name itself when that would leave under two
    characters (城区, 矿区)."""
    for suffix in _SUFFIX[level]:
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if suffix.startswith("自治") or suffix == "州":
                base = _ETHNIC_RUN.sub("", base) or base
            return base if len(base) >= 2 else name
    return name


def chinese_forms(name: str, level: str) -> list[str]:
    """Every Chinese form of a division name a register may use: the full name, the short name, and
    the short name with each common suffix (贡山县, 凉山州)."""
    short = chinese_short(name, level)
    forms = [name]
    if name.endswith("行政委员会"):  # 大柴旦行政委员会 is written 大柴旦行委
        forms.append(name.removesuffix("行政委员会") + "行委")
    if short != name:
        forms.append(short)
        forms += [short + s for s in _SHORT_SUFFIX[level] if short + s != name]
    return list(dict.fromkeys(forms))


# English words around a place name: administrative words, and ethnic adjectives after the name.
_ADMIN_WORDS = frozenset(
    "autonomous prefecture county city district region area league banner municipality of the and "
    "zizhizhou zizhixian zhou xian shi qu diqu meng qi prefectural level special".split()
)


_ETHNIC_WORDS = frozenset(
    "tibetan zang zangzu yi yizu hui huizu lisu derung drung dulong nu qiang mongol mongolian menggu "
    "kirgiz kirghiz kyrgyz kazak kazakh uygur uyghur uighur miao zhuang bouyei buyi dong tujia yao bai "
    "hani dai naxi lahu va wa jingpo blang pumi achang deang jino manchu korean xibe daur ewenki oroqen "
    "tu salar bonan dongxiang yugur mulao maonan gelao li she shui gin tajik uzbek russian tatar monba "
    "lhoba hezhen nationalities".split()
)


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    if not plain.isascii():
        return []
    return [w for w in re.split(r"[^a-z]+", plain.replace("'", "").replace("’", "")) if w]


def latin_keys(text: str) -> tuple[str, ...]:
    """The keys to try for a Latin-letter place name, most literal first: every word joined (spaced
    pinyin such as "Mu Li" or "Ka Shi", whose syllables may look like ethnic or administrative
    words), then :func:`latin_key`."""
    words = _words(text)
    if not words:
        return ()
    return tuple(dict.fromkeys(["".join(words), latin_key(text)]))


def latin_key(text: str) -> str:
    """A Latin-letter place name reduced to a comparison key: accents and tone marks dropped, case and
    punctuation folded, administrative words and ethnic adjectives after the first word dropped, the
    rest joined ("Liangshan Yi Autonomous Prefecture" -> "liangshan", "Gongshan Derung and Nu
    Autonomous County" -> "gongshan", "Ü-Tsang" -> "utsang"). Empty for text with CJK characters."""
    words = _words(text)
    if not words:
        return ""
    kept = [words[0]] + [w for w in words[1:] if w not in _ADMIN_WORDS | _ETHNIC_WORDS]
    return "".join(kept)
