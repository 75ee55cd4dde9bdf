"""The page manifest and the full/incremental decision, on manifests built from the recorded `recent` listing."""

from __future__ import annotations

import dataclasses
import json

import pytest

from docmost_pipeline.export.download import RawExport
from docmost_pipeline.export.incremental import Base, plan_export
from docmost_pipeline.export.manifest import ManifestEntry, ManifestError, PageManifest, diff_manifests
from docmost_pipeline.export.pageindex import PageIndex, link_targets, slug_key
from docmost_pipeline.model import Space
from docmost_pipeline.emulator.recordings import API_DIR

NOW = 2_000_000_000.0


def recorded_manifest(space: str = "engineering") -> PageManifest:
    items = json.loads((API_DIR / f"recent.{space}.limit-100.page-1.json").read_text())["data"]["items"]
    entries = tuple(sorted((ManifestEntry.from_item(i) for i in items), key=lambda e: e.id))
    return PageManifest(space_id=items[0]["spaceId"], entries=entries)


def edited(manifest: PageManifest, page_id: str, **changes) -> PageManifest:
    changes.setdefault("updated_at", "2026-12-01T10:00:00.000Z")
    entries = tuple(dataclasses.replace(e, **changes) if e.id == page_id else e for e in manifest.entries)
    return dataclasses.replace(manifest, entries=entries)


def without(manifest: PageManifest, page_id: str) -> PageManifest:
    return dataclasses.replace(manifest, entries=tuple(e for e in manifest.entries if e.id != page_id))


def base_for(manifest: PageManifest, index: PageIndex | None = None, *, full_at: float = NOW - 60) -> Base:
    raw = RawExport(dir=None, space=Space(id=manifest.space_id, slug="engineering", name="Engineering"),
                    zip_path=None, bytes=1, sha256="x", seconds=1.0, full_at=full_at,
                    manifest_sha256=manifest.digest)
    return Base(raw=raw, manifest=manifest, index=index or PageIndex())


def by_title(manifest: PageManifest, title: str) -> ManifestEntry:
    return next(e for e in manifest.entries if e.title == title)


def test_recorded_listing_gives_a_stable_digest_and_the_page_tree():
    manifest = recorded_manifest()
    assert len(manifest.entries) == 100
    assert manifest.digest == recorded_manifest().digest
    tree = manifest.tree()
    assert {p.id for p in tree} == {e.id for e in manifest.entries}
    children = {p.parent_page_id for p in tree}
    assert all(p.has_children == (p.id in children) for p in tree)


def test_manifest_round_trips_and_refuses_a_changed_file(tmp_path):
    manifest = recorded_manifest("content-gallery")
    manifest.save(tmp_path)
    assert PageManifest.load(tmp_path).digest == manifest.digest
    path = tmp_path / "page-manifest.json"
    path.write_text(path.read_text().replace('"Callouts"', '"Callouts!"'))
    with pytest.raises(ManifestError, match="digest does not match its entries"):
        PageManifest.load(tmp_path)


def test_diff_names_updated_added_deleted_and_relocated_pages():
    old = recorded_manifest()
    parent = by_title(old, "Architecture Overview")
    child = next(e for e in old.entries if e.parent_page_id == parent.id)
    new = edited(old, parent.id, title="Architecture")
    new = without(new, by_title(old, "Glossary").id)
    diff = diff_manifests(old, new)
    assert diff.updated == {parent.id}
    assert diff.deleted == {by_title(old, "Glossary").id}
    # a renamed parent moves its children in the export too
    assert {parent.id, child.id} <= diff.relocated
    assert diff_manifests(old, old).empty


def test_nothing_changed_is_an_incremental_plan_with_nothing_to_export():
    manifest = recorded_manifest()
    plan = plan_export(manifest, base_for(manifest), now=NOW)
    assert plan.mode == "incremental" and not plan.export_ids and not plan.deleted_ids


def test_full_export_without_base_when_too_old_when_asked_or_above_the_share():
    manifest = recorded_manifest()
    assert plan_export(manifest, None, now=NOW).reason == "no usable previous raw export"
    stale = plan_export(manifest, base_for(manifest, full_at=NOW - 90_000), now=NOW, full_every=86_400)
    assert stale.mode == "full" and "FULL_SYNC_EVERY" in stale.reason
    assert plan_export(manifest, base_for(manifest), now=NOW, force_full=True).mode == "full"
    changed = manifest
    for entry in manifest.entries[:21]:
        changed = edited(changed, entry.id)
    over = plan_export(changed, base_for(manifest), now=NOW, max_changed_share=0.2)
    assert over.mode == "full" and "21 of 100 pages" in over.reason
    assert plan_export(changed, base_for(manifest), now=NOW, max_changed_share=0.25).mode == "incremental"


def test_pages_linking_to_a_renamed_or_deleted_page_are_exported_again():
    old = recorded_manifest()
    glossary, changelog, faq = (by_title(old, t) for t in ("Glossary", "Changelog", "FAQ"))
    index = PageIndex(links={changelog.id: [glossary.id], faq.id: [slug_key("nBXWN8W8Hb")]})
    renamed = plan_export(edited(old, glossary.id, title="Terms"), base_for(old, index), now=NOW)
    assert renamed.export_ids == {glossary.id, changelog.id}
    deleted = plan_export(without(old, glossary.id), base_for(old, index), now=NOW)
    assert deleted.export_ids == {changelog.id} and deleted.deleted_ids == {glossary.id}
    # a page linking to a trashed page (by its slugId) is exported again when that page is restored
    restored_entry = dataclasses.replace(glossary, id="01a20070-0000-7000-8000-00000000beef", slug_id="nBXWN8W8Hb")
    restored = dataclasses.replace(old, entries=tuple(sorted((*old.entries, restored_entry), key=lambda e: e.id)))
    assert plan_export(restored, base_for(old, index), now=NOW).export_ids == {restored_entry.id, faq.id}
    # an edit of the content alone does not touch the pages linking to it
    assert plan_export(edited(old, glossary.id), base_for(old, index), now=NOW).export_ids == {glossary.id}


def test_pages_sharing_an_unattributed_attachment_are_exported_together():
    old = recorded_manifest()
    a, b, c = (e.id for e in old.entries[:3])
    index = PageIndex(attachment_owners={"Folder|att/audio.mp3": [a, b], "Folder|att/image.png": [c]})
    assert plan_export(edited(old, a), base_for(old, index), now=NOW).export_ids == {a, b}
    assert plan_export(edited(old, c), base_for(old, index), now=NOW).export_ids == {c}


def test_link_targets_read_relative_paths_and_docmost_urls():
    paths = {"Getting Started.md": "p1", "Architecture Overview/Backend.md": "p2"}
    markdown = ("[a](../Getting%20Started.md) [b](<Backend.md>) [c](http://localhost:3000/s/eng/p/x-SLUG1)"
                " [d](/s/eng/p/-SLUG2#frag) ![img](files/abc/x.png) [e](https://example.com) [f](#top)")
    targets = link_targets(markdown, "Architecture Overview/Frontend.md", paths, {"SLUG1": "p3"})
    assert targets == {"p1", "p2", "p3", slug_key("SLUG2")}
