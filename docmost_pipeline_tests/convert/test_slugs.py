import re

import pytest

from docmost_pipeline.convert.slugs import (
    MAX_SLUG_LENGTH,
    is_valid_slug,
    page_slug,
    route_key,
    slugify,
    unique_sibling_names,
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Getting Started", "getting-started"),
        ("Backup & Restore", "backup-and-restore"),
        ("Q&A + 팁", "q-and-a-plus-tip"),
        ("이메일 @멘션 #태그", "imeil-at-mensyeon-num-taegeu"),
        ("진행률 100% = 완료", "jinhaengryul-100-pct-eq-wanryo"),
        ("함수(인자) [배열]", "hamsuinja-baeyeol"),
        ("따옴표 'single' \"double\"", "ttaompyo-single-double"),
        ("쉼표, 세미콜론; 느낌표!", "swimpyo-semikolron-neukkimpyo"),
        ("특수문자 & + @ # % = ( ) [ ] ' \" , ; ! 모음", "teuksumunja-and-plus-at-num-pct-eq-moeum"),
        ("CI/CD Pipeline", "cicd-pipeline"),
        ("RFC-0001: Adopt Docmost", "rfc-0001-adopt-docmost"),
        ("Windows (WSL2)", "windows-wsl2"),
        ("OAuth 2.0 / OIDC", "oauth-2-0-oidc"),
        ("  --Lots   of -- dashes--  ", "lots-of-dashes"),
        ("끝에 공백이 있는 제목   ", "kkeute-gongbaeki-issneun-jemok"),
        ("머메이드", "meomeideu"),
        ("시행착오", "sihaengchako"),
        ("日本語のドキュメント", "ri-ben-yu-nodokiyumento"),
        ("テスト", "tesuto"),
        ("中文文档", "zhong-wen-wen-dang"),
        ("繁體中文測試", "fan-ti-zhong-wen-ce-shi"),
        ("Привет, мир", "privet-mir"),
        ("Café — crème brûlée", "cafe-creme-brulee"),
        ("Deploy 🚀 now", "deploy-now"),
    ],
)
def test_slug_rules(title, expected):
    assert slugify(title) == expected
    assert is_valid_slug(expected)


def test_emoji_only_and_empty_titles_fall_back():
    assert slugify("🚀🔥") == ""
    assert page_slug("🚀🔥", "Id0aT8nbNe") == "id0at8nbne"
    assert page_slug("", "Id0aT8nbNe") == "untitled"
    assert page_slug(None, None) == "untitled"
    assert page_slug("🗒️", None) == "untitled"


def test_long_titles_are_cut_at_a_word_boundary_with_a_stable_hash():
    title = ("아주 긴 제목 테스트: 사내 위키 문서를 도큐사우루스로 동기화할 때 파일 이름 길이 제한을 확인하기 위한 문서 — "
             "This is a deliberately very long page title that mixes Korean and English words so that it is well "
             "over two hundred characters long (and more than 255 bytes in UTF-8) 끝")
    assert len(title.encode("utf-8")) > 255
    slug = slugify(title)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert is_valid_slug(slug)
    head, digest = slug.rsplit("-", 1)
    assert re.fullmatch(r"[0-9a-f]{6}", digest)
    # cut between words: the part before the hash is a prefix of the full slug ending at a word end
    full = slugify(title, max_length=10_000)
    assert full.startswith(head + "-")
    assert slugify(title) == slug  # stable
    # two long titles sharing the first 80 characters still differ
    assert slugify(title + " 2") != slug


def test_255_byte_single_word_title():
    title = "가" * 100  # 300 bytes of UTF-8, no word boundary at all
    slug = slugify(title)
    assert len(slug) <= MAX_SLUG_LENGTH and is_valid_slug(slug)


def test_sibling_collisions_get_suffixes_in_position_order():
    names = unique_sibling_names(["notes", "q-what", "notes", "notes-2", "q-what"])
    assert names == ["notes", "q-what", "notes-3", "notes-2", "q-what-2"]
    assert len(set(names)) == len(names)


def test_reserved_category_index_names_are_never_used_bare():
    names = unique_sibling_names(["index", "readme", "guide", "other"], reserved=["index", "readme", "guide"])
    assert names == ["index-2", "readme-2", "guide-2", "other"]


def test_number_prefixed_names_do_not_share_a_docusaurus_route():
    assert route_key("100-days") == "days"
    assert route_key("2026-01-31-log") == "2026-01-31-log"
    names = unique_sibling_names(["days", "100-days"])
    assert route_key(names[0]) != route_key(names[1])


def test_names_are_stable_across_runs():
    titles = ["회의록", "회의록", "Notes", "Q: what?", "Q what", "x/y plan", "xy plan"]
    first = unique_sibling_names([slugify(t) for t in titles])
    second = unique_sibling_names([slugify(t) for t in titles])
    assert first == second
    assert first == ["hoeuirok", "hoeuirok-2", "notes", "q-what", "q-what-2", "xy-plan", "xy-plan-2"]
