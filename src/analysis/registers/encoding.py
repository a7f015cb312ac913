"""Text encoding of a register file: UTF-8 (with or without BOM), GB18030/GBK, Big5, UTF-16, told apart
by charset-normalizer on the lines that hold non-ASCII bytes, with a check that the result reads as
Chinese.
"""

from __future__ import annotations

import codecs
import re

from analysis.errors import RegisterError

_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _non_ascii_lines(data: bytes, limit: int = 1 << 20) -> bytes:
    """The lines that hold non-ASCII bytes (the evidence about an encoding), up to ``limit`` bytes."""
    lines, size, pos = [], 0, 0
    while size < limit:
        m = _NON_ASCII.search(data, pos)
        if m is None:
            break
        start = data.rfind(b"\n", 0, m.start()) + 1
        end = data.find(b"\n", m.start())
        end = len(data) if end < 0 else end
        lines.append(data[start:end])
        size += end - start
        pos = end + 1
    return b"\n".join(lines)


# Characters frequent in registers, simplified and traditional: the right decoding shows many of them,
# a wrong one (Big5 bytes read as GB18030 or the reverse) almost none.
_COMMON_CHINESE = frozenset(
    "的一是在和中国國省市县縣区區州旗会會基金项項目年人户戶扶贫貧教育健康产產业業医醫疗療学學校村镇鎮"
)


def _mostly_chinese(text: str) -> bool:
    """Most non-ASCII characters are CJK ideographs, CJK punctuation or full-width forms."""
    wide = [c for c in text[:20_000] if ord(c) > 0x7F]
    cjk = sum(
        0x3000 <= ord(c) <= 0x303F or 0x3400 <= ord(c) <= 0x9FFF or 0xFF00 <= ord(c) <= 0xFFEF
        for c in wide
    )
    return bool(wide) and cjk >= 0.9 * len(wide)


def detect_encoding(data: bytes, *, name: str = "<bytes>") -> str:
    """The text encoding of a CSV: BOM, then strict UTF-8, then GB18030 or Big5, then charset-normalizer.

    GB18030 (which contains GBK and GB2312) or Big5 is chosen when the lines with non-ASCII bytes
    decode strictly in it into mostly Chinese characters (a guesser given a few Chinese names among
    many ASCII rows picks wrongly); when both do, the one showing more of the characters registers
    use, and an error asking for ``encoding=`` when that does not decide. Other encodings are left to
    charset-normalizer; with too little evidence for a guess the error asks for ``encoding=``.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    evidence = _non_ascii_lines(data)
    return _chinese_encoding(evidence, name) or _guessed_encoding(evidence, name)


def _chinese_encoding(evidence: bytes, name: str) -> str | None:
    """GB18030 or Big5 when the non-ASCII lines decode strictly in it into mostly Chinese text (both:
    the one showing more of the characters registers use, else an error); None when neither does."""
    chinese = {}
    for candidate in ("gb18030", "big5"):
        try:
            text = evidence.decode(candidate)
        except UnicodeDecodeError:
            continue
        if _mostly_chinese(text):
            chinese[candidate] = sum(c in _COMMON_CHINESE for c in text[:20_000])
    if len(chinese) == 1:
        return next(iter(chinese))
    if chinese:  # both read as Chinese: the one with the words registers use, else ask
        (first, a), (second, b) = sorted(chinese.items(), key=lambda kv: -kv[1])
        if a > b:
            return first
        raise RegisterError(
            "the text reads as Chinese both as GB18030 and as Big5; pass encoding=", file=name
        )
    return None


def _guessed_encoding(evidence: bytes, name: str) -> str:
    """charset-normalizer's guess from the non-ASCII lines (any GB variant as gb18030); an error asking
    for ``encoding=`` when there are fewer than 32 non-ASCII bytes or no guess."""
    non_ascii = sum(b > 0x7F for b in evidence[:4096])
    if non_ascii < 32:
        raise RegisterError(
            f"cannot tell the text encoding from {non_ascii} non-ASCII bytes; pass encoding= "
            "(e.g. gb18030, big5, cp1252)",
            file=name,
        )
    from charset_normalizer import from_bytes

    best = from_bytes(evidence).best()
    if best is None:
        raise RegisterError("cannot detect the text encoding; pass encoding=", file=name)
    enc = best.encoding.lower().replace("_", "")
    if enc in {"gbk", "gb2312", "gb18030", "hz", "cp936"}:
        return "gb18030"
    return best.encoding


def looks_utf8(data: bytes) -> bool:
    """A UTF-8 BOM, or a first 64 KiB that decodes as UTF-8 (the rest is checked by the parser)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[: 1 << 16], final=False)
    except UnicodeDecodeError:
        return False
    return True
