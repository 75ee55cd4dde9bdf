"""Every description the Dagster UI shows, read as the UI reads it: as Markdown.

The UI renders the descriptions of assets, asset checks, jobs, ops, schedules, sensors and config fields as Markdown
(GitHub-flavoured). Written as plain text, `OUTPUT_DIR/<space>` loses `<space>` (an HTML tag to the renderer) and
`_word_` turns into emphasis. Each description is rendered here with markdown-it-py (CommonMark with GFM tables and
strikethrough) over the definitions built for several settings (the schedule's and published_space's descriptions
depend on SYNC_INTERVAL, the checks on DOCUSAURUS_CHECK, the git target on GIT_PUBLISH_REPO).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt

from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.settings import load_settings

SETTINGS = [
    {},
    {"SYNC_INTERVAL": "1h", "DOCUSAURUS_CHECK": "1", "SITE_DIR": "/nonexistent/site"},
    {"SYNC_INTERVAL": "1h30m"},
    {"SYNC_INTERVAL": "7m"},
    {"SYNC_INTERVAL": "30s"},
    {"SYNC_INTERVAL": "48h"},
    {"SYNC_INTERVAL": "*/5 * * * *"},
    {"SYNC_INTERVAL": "0 */2 * * *"},
    {"SYNC_INTERVAL": "0 9 * * 1-5"},
    {"GIT_PUBLISH_REPO": "/srv/git/docs.git"},  # the git target's asset
]
DOCMOST = {"DOCMOST_BASE_URL": "http://127.0.0.1:9", "DOCMOST_EMAIL": "e@example.com", "DOCMOST_PASSWORD": "p"}
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# what must reach the reader as written: a <placeholder>, and any word with an underscore in it (an env var, an
# asset name, `_word_`)
PLACEHOLDER = re.compile(r"<[A-Za-z][\w./:-]*>")
UNDERSCORED = re.compile(r"[\w./:-]*_[\w./:-]*")


def config_field_descriptions(config_type, path: str) -> Iterator[tuple[str, str]]:
    for name, field in (getattr(config_type, "fields", None) or {}).items():
        if field.description:
            yield f"{path}.{name}", field.description
        yield from config_field_descriptions(field.config_type, f"{path}.{name}")


def descriptions(env: dict[str, str]) -> Iterator[tuple[str, str]]:
    definitions = build_definitions(load_settings({**DOCMOST, **env}))
    repo = definitions.get_repository_def()
    graph = repo.asset_graph
    for key in graph.get_all_asset_keys():
        yield f"asset {key.to_user_string()}", graph.get(key).description
    for check_key in graph.asset_check_keys:
        yield f"check {check_key.name}", graph.get(check_key).description
    for job in repo.get_all_jobs():
        yield f"job {job.name}", job.description
        for node in job.all_node_defs:
            yield f"op {node.name}", node.description
            if node.config_schema is not None:
                yield from config_field_descriptions(node.config_schema.config_type, f"op {node.name} config")
    for schedule in repo.schedule_defs:
        yield f"schedule {schedule.name}", schedule.description
    for sensor in repo.sensor_defs:
        yield f"sensor {sensor.name}", sensor.description
    for name, resource in repo.get_top_level_resources().items():
        yield f"resource {name}", resource.description
        yield from config_field_descriptions(resource.config_schema.config_type, f"resource {name} config")


def visible_text(tokens) -> str:
    """What a reader sees: text and inline code, each block on its own line."""
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            parts.append("\n")
        elif token.type in ("code_block", "fence"):
            parts.append(token.content)
    return "".join(parts)


def problems(where: str, text: str) -> list[str]:
    tokens = RENDERER.parse(text)
    found = []
    flat = [child for token in tokens for child in ([token] + (token.children or []))]
    for token in flat:
        if token.type in ("html_inline", "html_block"):
            found.append(f"{where}: {token.content.strip()!r} is rendered as HTML (and disappears)")
        if token.type in ("em_open", "strong_open") and "_" in token.markup:
            found.append(f"{where}: underscores turn into emphasis")
    shown = visible_text(tokens)
    for pattern in (PLACEHOLDER, UNDERSCORED):
        for match in pattern.finditer(text):
            if match.group() not in shown:
                found.append(f"{where}: {match.group()!r} is not shown as written")
    return found


@pytest.mark.parametrize("env", SETTINGS, ids=lambda env: ",".join(f"{k}={v}" for k, v in env.items()) or "default")
def test_every_description_renders_as_written_in_the_ui(env):
    collected = [(where, text) for where, text in descriptions(env) if text]
    names = {where for where, _ in collected}
    # the sweep reaches every kind the UI shows (a rename must not empty it silently)
    for expected in ("asset raw_export", "check links_resolve", "job sync_space", "op publish_rollback_op",
                     "op raw_export config.full", "sensor docmost_change_sensor", "schedule docmost_daily_maintenance",
                     "resource docmost config.password"):
        assert expected in names, sorted(names)
    if env.get("SYNC_INTERVAL"):
        assert "schedule docmost_sync_schedule" in names
    if env.get("SITE_DIR"):
        assert {"asset docusaurus_site", "check site_builds", "sensor docusaurus_site_sensor"} <= names
    found = [problem for where, text in collected for problem in problems(where, text)]
    assert not found, "\n".join(found)


def test_the_check_itself_catches_placeholders_and_underscores():
    assert problems("x", "Written to OUTPUT_DIR/<space>/.") == [
        "x: '<space>' is rendered as HTML (and disappears)", "x: '<space>' is not shown as written"]
    assert problems("x", "the _full_ export") == [
        "x: underscores turn into emphasis", "x: '_full_' is not shown as written"]
    assert problems("x", "Written to `OUTPUT_DIR/<space>/`, the `_full_` export, RAW_EXPORT_KEEP=3.") == []
