import pytest
import yaml

from docmost_pipeline.convert.frontmatter import build_front_matter, dump_front_matter


def _parse(text: str) -> dict:
    assert text.startswith("---\n") and text.endswith("---\n")
    return yaml.safe_load(text[4:-4])


@pytest.mark.parametrize(
    "title",
    [
        "RFC-0001: Adopt Docmost",
        "# not a comment",
        "it's \"quoted\"",
        "🚀🔥",
        "끝에 공백이 있는 제목   ",
        "특수문자 & + @ # % = ( ) [ ] ' \" , ; ! 모음",
        "- looks like a list",
        "yes",
        "null",
        "123",
        "{token}: [x]",
        "line one\nline two",
        "tab\there\x07bell",
        "",
    ],
)
def test_titles_round_trip_through_yaml_exactly(title):
    data = build_front_matter(title=title, sidebar_position=3, icon="💻",
                              updated_at="2026-11-21T23:27:52.760Z",
                              edit_url="https://docs.example.com/s/engineering/p/HGMXE2d4R9",
                              page_id="01a2006f-fd4e-732b-9af2-a1ef8bdaef80", slug_id="HGMXE2d4R9")
    parsed = _parse(dump_front_matter(data))
    assert parsed == data
    assert parsed["title"] == title
    assert isinstance(parsed["title"], str)
    assert parsed["sidebar_label"] == f"💻 {title}"
    assert parsed["sidebar_position"] == 3


def test_every_string_value_is_quoted_and_numbers_are_not():
    text = dump_front_matter(build_front_matter(title="Plain", sidebar_position=7, updated_at="2026-01-01",
                                                page_id="p", slug_id="s"))
    lines = text.splitlines()
    assert "title: 'Plain'" in lines
    assert "sidebar_label: 'Plain'" in lines
    assert "sidebar_position: 7" in lines
    assert "  date: '2026-01-01'" in lines
    assert "  page_id: 'p'" in lines


def test_emoji_and_hangul_stay_readable():
    text = dump_front_matter(build_front_matter(title="머메이드", sidebar_position=1, icon="🧜"))
    assert "title: '머메이드'" in text
    assert "sidebar_label: '🧜 머메이드'" in text


def test_optional_keys_are_left_out_when_unknown():
    data = build_front_matter(title="T", sidebar_position=1)
    assert set(data) == {"title", "sidebar_label", "sidebar_position"}
    assert data["sidebar_label"] == "T"


def test_cross_space_links_under_docmost_with_quoted_slug_ids():
    links = {"1234567890": {"space": "ops", "url": "https://docmost.example/s/ops/p/-1234567890"},
             "null": {"space": "스페이스 🚀"}}
    text = dump_front_matter(build_front_matter(title="T", sidebar_position=1, page_id="p", slug_id="S", links=links))
    # slugIds that YAML would read as a number or null stay strings; the given (sorted) order is kept
    assert "    '1234567890':\n      space: 'ops'\n      url: 'https://docmost.example/s/ops/p/-1234567890'\n" \
           "    'null':\n      space: '스페이스 🚀'\n" in text
    assert _parse(text)["docmost"] == {"page_id": "p", "slug_id": "S", "links": links}
    no_links = build_front_matter(title="T", sidebar_position=1, page_id="p", links={})
    assert _parse(dump_front_matter(no_links))["docmost"] == {"page_id": "p"}


@pytest.mark.parametrize(
    "description",
    [
        "Template {token} and a < b cost $5.",
        "import React from 'react'",
        "key: value # not a comment, 'single' and \"double\" quotes, C:\\Users\\docmost",
        "한글 문서의 첫 문단 🚀 and a cut at a word…",
        "- looks like a list",
        "yes",
        "",
    ],
)
def test_description_round_trips_through_yaml_exactly(description):
    data = build_front_matter(title="T", sidebar_position=1, description=description)
    text = dump_front_matter(data)
    assert f"description: '{description.replace(chr(39), chr(39) * 2)}'" in text.splitlines()  # quoted, one line
    assert _parse(text)["description"] == description


def test_description_is_left_out_when_none():
    assert "description" not in build_front_matter(title="T", sidebar_position=1, description=None)
