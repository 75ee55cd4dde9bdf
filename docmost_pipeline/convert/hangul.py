"""Hangul romanisation for file names, syllable by syllable, as the replaced system did.

Each precomposed Hangul syllable (U+AC00..U+D7A3) is split into initial, vowel and final jamo, and each jamo is
written with a fixed Revised-Romanization letter table. There is deliberately NO assimilation across syllables
(``신라`` stays ``sinra``, not ``silla``): the old system produced names this way and existing URLs must stay
recognisable. Simple finals use their RR coda spelling (``착`` -> ``chak``); double finals spell both letters with
their onset spelling (``닭`` -> ``dalg``, ``값`` -> ``gabs``).

Pinned by the issue: 머메이드 meomeideu, 한글 hangeul, 안녕 annyeong, 하세요 haseyo, 빵 ppang, 값 gabs, 닭 dalg,
시행착오 sihaengchako.
"""

from __future__ import annotations

_FIRST_SYLLABLE = 0xAC00
_LAST_SYLLABLE = 0xD7A3

INITIALS = (
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h",
)
VOWELS = (
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo",
    "u", "wo", "we", "wi", "yu", "eu", "ui", "i",
)
# Index 0 = no final. Order is the Unicode jongseong order: ㄱ ㄲ ㄳ ㄴ ㄵ ㄶ ㄷ ㄹ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅁ ㅂ ㅄ ㅅ ㅆ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ
FINALS = (
    "", "k", "kk", "gs", "n", "nj", "nh", "t", "l", "lg", "lm", "lb", "ls", "lt", "lp", "lh",
    "m", "p", "bs", "t", "ss", "ng", "t", "ch", "k", "t", "p", "h",
)


def is_hangul_syllable(char: str) -> bool:
    return _FIRST_SYLLABLE <= ord(char) <= _LAST_SYLLABLE


def romanize_syllable(char: str) -> str:
    """Romanise one precomposed Hangul syllable; raises ValueError for anything else."""
    if len(char) != 1 or not is_hangul_syllable(char):
        raise ValueError(f"not a precomposed Hangul syllable: {char!r}")
    index = ord(char) - _FIRST_SYLLABLE
    initial, rest = divmod(index, 21 * 28)
    vowel, final = divmod(rest, 28)
    return INITIALS[initial] + VOWELS[vowel] + FINALS[final]


def romanize(text: str) -> str:
    """Romanise every Hangul syllable of ``text``; other characters are returned unchanged."""
    return "".join(romanize_syllable(c) if is_hangul_syllable(c) else c for c in text)
