"""``raw_export`` stores each page's document and says so: its metadata counts the documents fetched, reused and
unavailable and the seconds spent; a page whose document Docmost does not give is named in a run-log warning and the
space is still published; PAGE_DOCUMENTS=off fetches none. Real Dagster instance, Docmost test server."""

from __future__ import annotations

import logging

from dagster import instance_for_test

from docmost_pipeline.defs.resources import OutputResource
from docmost_pipeline_tests.dagster_support import make_resources, make_settings, metadata, sync_assets, sync_space

INFO = "/api/pages/info"


def documents(result) -> tuple:
    raw = metadata(result, "raw_export")
    return (raw["page_documents"], raw["documents_fetched"], raw["documents_reused"], raw["documents_unavailable"])


def page_id(server, title: str) -> str:
    return next(p.id for p in server.space_by_slug("hangul-docs").model.pages.values() if p.title == title)


def test_metadata_counts_documents_and_a_warning_names_the_unavailable_page(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output)
    resources = make_resources(docmost_server, output)
    broken = page_id(docmost_server, "머메이드")
    docmost_server.faults.fail_page_info(broken)
    with instance_for_test() as instance:
        first = sync_space(instance, settings, resources, "hangul-docs", assets=sync_assets(settings))
        assert first.success and metadata(first, "extracted_markdown")["pages"] == 34
        assert metadata(first, "published_space")["version"]  # published all the same
        assert documents(first) == (True, 33, 0, 1)
        assert metadata(first, "raw_export")["documents_seconds"] > 0
        warnings = [e.user_message for e in instance.all_logs(first.run_id)
                    if e.level == logging.WARNING and "document_unavailable" in (e.user_message or "")]
        assert len(warnings) == 1
        assert f"'머메이드' ({broken})" in warnings[0] and "HTTP 500" in warnings[0]
        assert docmost_server.password not in warnings[0]

        docmost_server.faults.reset()
        docmost_server.append_text(page_id(docmost_server, "시행착오"), "한 문장 더.")
        docmost_server.clear_requests()
        second = sync_space(instance, settings, resources, "hangul-docs", assets=sync_assets(settings))
        assert second.success and metadata(second, "raw_export")["sync_mode"] == "incremental", metadata(second, "raw_export")["reason"]
        assert documents(second) == (True, 2, 32, 0)  # the edited page and the one unavailable before
        assert docmost_server.count(INFO) == 2

        docmost_server.clear_requests()
        third = sync_space(instance, settings, resources, "hangul-docs", assets=sync_assets(settings))
        assert metadata(third, "raw_export")["sync_mode"] == "unchanged" and docmost_server.count(INFO) == 0


def test_page_documents_off_fetches_none(tmp_path, docmost_server):
    output = tmp_path / "output"
    settings = make_settings(docmost_server, output, PAGE_DOCUMENTS="off")
    resources = make_resources(docmost_server, output)
    resources["output"] = OutputResource(output_dir=str(output), base_url=docmost_server.base_url,
                                         page_documents=settings.page_documents)
    with instance_for_test() as instance:
        result = sync_space(instance, settings, resources, "collisions", assets=sync_assets(settings))
    assert result.success and documents(result) == (False, 0, 0, 0)
    assert docmost_server.count(INFO) == 0
