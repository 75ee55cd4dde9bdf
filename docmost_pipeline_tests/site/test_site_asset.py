"""The ``docusaurus_site`` asset (only with SITE_DIR): materialized on a real Dagster instance with real Docusaurus
builds over spaces the real publisher put in OUTPUT_DIR. Two builds: a clean one, then one that fails (a broken
link), between them a run that finds the live site current and builds nothing.
"""

from __future__ import annotations

import os

from dagster import (
    AssetCheckSeverity, DagsterEventType, build_run_status_sensor_context, instance_for_test, materialize,
)

from docmost_pipeline.defs.definitions import build_definitions
from docmost_pipeline.defs.resources import AlertResource, OutputResource, WebsiteResource
from docmost_pipeline.defs.sensors import build_alert_sensors
from docmost_pipeline.settings import load_settings
from docmost_pipeline.website import SITE_NAME, html_pages
from docmost_pipeline_tests.dagster_support import WebhookReceiver
from docmost_pipeline_tests.site.conftest import publish_space


def site_run(instance, settings, output, site, **kwargs):
    asset = build_definitions(settings).get_assets_def("docusaurus_site")
    resources = {"output": OutputResource(output_dir=str(output)), "website": WebsiteResource(site_dir=str(site))}
    return materialize([asset], instance=instance, resources=resources, **kwargs)


def materialization_metadata(result) -> dict:
    [event] = result.asset_materializations_for_node("docusaurus_site")
    return {key: value.value for key, value in event.metadata.items()}


def test_the_site_asset_builds_skips_and_keeps_the_live_site_when_a_build_fails(site_ready, tmp_path):
    output, site = tmp_path / "output", tmp_path / "site"
    settings = load_settings({"OUTPUT_DIR": str(output), "SITE_DIR": str(site)}, dotenv_path=None)
    publish_space(output, "alpha", "Alpha", {"intro": "Alpha intro, see [more](./more.md).\n", "more": "More.\n"},
                  tmp_path)
    publish_space(output, "beta", "Beta", {"start": "Beta starts here.\n"}, tmp_path)
    with instance_for_test() as instance, WebhookReceiver() as hook:
        first = site_run(instance, settings, output, site)
        assert first.success
        built = materialization_metadata(first)
        live = site / SITE_NAME
        assert built["unchanged"] is False and built["errors"] == 0 and built["spaces"] == 2
        assert built["pages"] == html_pages(live) > 3 and built["bytes"] > 0 and built["build_seconds"] > 0
        assert os.readlink(live) == f".versions/{SITE_NAME}/{built['version']}"
        [check] = first.get_asset_check_evaluations()
        assert check.check_name == "site_builds" and check.passed

        second = site_run(instance, settings, output, site)
        assert second.success
        current = materialization_metadata(second)
        assert current["unchanged"] is True and current["version"] == built["version"]
        assert current["build_seconds"] == 0.0

        publish_space(output, "beta", "Beta", {"start": "Beta starts here.\n", "bad": "See [gone](./gone.md).\n"},
                      tmp_path)
        index_before = (live / "index.html").read_bytes()
        third = site_run(instance, settings, output, site, raise_on_error=False)
        assert not third.success
        assert not third.asset_materializations_for_node("docusaurus_site")
        [failed] = third.get_asset_check_evaluations()
        assert failed.check_name == "site_builds" and not failed.passed
        assert failed.severity == AssetCheckSeverity.ERROR
        assert failed.metadata["errors"].value >= 1
        assert "./gone.md" in failed.metadata["summary"].value
        assert os.readlink(live) == f".versions/{SITE_NAME}/{built['version']}"
        assert (live / "index.html").read_bytes() == index_before

        # the failed run alerts like any failed run of the pipeline
        failure_sensor, _ = build_alert_sensors(settings)
        run = instance.get_run_by_id(third.run_id)
        [event] = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
        failure_sensor(build_run_status_sensor_context(
            sensor_name="docmost_failure_alerts", dagster_event=event.dagster_event, dagster_instance=instance,
            dagster_run=run, resources={"alerts": AlertResource(webhook_urls=f"{hook.url}/hook")},
        ).for_run_failure())
        [(path, body)] = hook.posts
        assert "docusaurus_site" in body["text"] and "./gone.md" in body["text"], body["text"]
