"""What the encoders are given, and the parallel sentences that align their languages."""

import numpy as np
import pytest

from app.nlp import centres, script
from app.nlp.reference import LOCALES, SENTENCES


def test_traditional_chinese_is_encoded_in_simplified_characters():
    assert script.for_encoder("我要怎麼更改帳戶的密碼？", "zh") == "我要怎么更改帐户的密码？"
    assert script.for_encoder("退款需要多久", "zh") == "退款需要多久"  # already Simplified


@pytest.mark.parametrize("text, language", [
    ("パスワードを忘れました", "ja"),   # Japanese kanji are not Chinese characters to convert
    ("Как изменить пароль?", "ru"),
    ("Reset your password", "en"),
    ("價格", None),
    ("", "zh"),
])
def test_other_text_is_left_as_written(text, language):
    assert script.for_encoder(text, language) == text


def test_reference_sentences_are_parallel():
    assert tuple(SENTENCES) == LOCALES
    assert len({len(rows) for rows in SENTENCES.values()}) == 1
    for rows in SENTENCES.values():
        assert all(row.strip() for row in rows) and len(set(rows)) == len(rows)


def test_shipped_centres_match_the_reference_sentences():
    data = np.load(centres.PATH)
    # Stale after editing reference.py or script.py: regenerate with `python -m app.nlp.centres`.
    assert str(data["fingerprint"]) == centres._fingerprint()
    assert set(data.files) == {"fingerprint", "en", "ru", "bg", "zh", "ja"}
