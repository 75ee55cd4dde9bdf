import pytest

from docmost_pipeline.convert.hangul import romanize, romanize_syllable


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("머메이드", "meomeideu"),
        ("한글", "hangeul"),
        ("안녕", "annyeong"),
        ("하세요", "haseyo"),
        ("빵", "ppang"),
        ("값", "gabs"),
        ("닭", "dalg"),
        ("시행착오", "sihaengchako"),
    ],
)
def test_issue_examples_are_reproduced_exactly(word, expected):
    assert romanize(word) == expected


def test_no_assimilation_across_syllables():
    # Revised Romanization proper would give "silla"; the old system wrote each syllable on its own.
    assert romanize("신라") == "sinra"


def test_non_hangul_characters_pass_through():
    assert romanize("API 키 v2") == "API ki v2"


def test_romanize_syllable_rejects_non_syllables():
    with pytest.raises(ValueError):
        romanize_syllable("a")
    with pytest.raises(ValueError):
        romanize_syllable("ㄱ")  # a lone jamo is not a syllable
