"""A small script-based language guesser for tickets whose language is unknown.

Only what mining needs: the language decides which mean vector is subtracted before comparing
tickets, so telling scripts apart matters far more than telling Latin-script languages apart.
"""

import re

from app.nlp.lang import cyrillic_language

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Frequent characters that exist only in one of the two Chinese scripts.
_HANS_ONLY = set("这说们来时为会么对过还没发现问题开关样请吗帐号码买卖钱银转换给应该让从认识网络设备终端")
_HANT_ONLY = set("這說們來時為會麼對過還沒發現問題開關樣請嗎帳號碼買賣錢銀轉換給應該讓從認識網絡設備終端")


def detect_language(text: str | None) -> str | None:
    """A normalised BCP 47 code (`en`, `ru`, `bg`, `ja`, `zh-Hans`, `zh-Hant`, `ko`) or None."""
    text = text or ""
    counts = {
        "cyr": len(_CYRILLIC.findall(text)),
        "kana": len(_KANA.findall(text)),
        "han": len(_HAN.findall(text)),
        "hangul": len(_HANGUL.findall(text)),
        "latin": len(_LATIN.findall(text)),
    }
    if not any(counts.values()):
        return None
    # Han characters are dense (one per word), so weigh them up against letters.
    cjk = counts["kana"] + counts["han"]
    scores = {"cyr": counts["cyr"], "cjk": cjk * 3, "hangul": counts["hangul"] * 3, "latin": counts["latin"]}
    script = max(scores, key=scores.get)
    if script == "cyr":
        return cyrillic_language(text)
    if script == "cjk":
        if counts["kana"] > 0:
            return "ja"
        hans = sum(ch in _HANS_ONLY for ch in text)
        hant = sum(ch in _HANT_ONLY for ch in text)
        return "zh-Hans" if hans > hant else "zh-Hant"
    if script == "hangul":
        return "ko"
    return "en"
