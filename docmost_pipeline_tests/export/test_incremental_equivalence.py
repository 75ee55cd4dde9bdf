"""Incremental sync is a full sync, proven on random edit sequences against the Docmost emulator.

For each recorded space a fresh emulator is started and the space synced once. Then every step makes one random
edit in Docmost (create, edit content, rename, rename to a sibling's title, change icon, move, reorder, trash,
restore, add an attachment, show a file of another space or one that is gone, link or mention another page) and
runs both syncs of the new state:

- incremental: page manifest -> ``export_changes`` on the previous raw exports -> extraction -> conversion with
  the page cache of the previous conversions;
- full: a whole-space export -> extraction -> conversion from scratch.

The two converted trees must be byte-identical after every step, and every page of the API's list must be in
the tree (exactly once: the tree checks' own rule), except untitled pages without content the converter drops.

``PROPERTY_STEPS`` steps in all (default 200, spread over the spaces), drawn from ``PROPERTY_SEED`` (default 0);
a failure names the seed and the steps so far. Search longer with e.g. ``PROPERTY_STEPS=2000 PROPERTY_SEED=7``.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from docmost_pipeline.checks import check_pages_exactly_once
from docmost_pipeline.convert.space import convert_space
from docmost_pipeline.docmost.client import DocmostClient
from docmost_pipeline.emulator import DocmostTestServer
from docmost_pipeline.export.download import download_space
from docmost_pipeline.export.extract import extract_raw_export
from docmost_pipeline.export.incremental import export_changes
from docmost_pipeline.export.manifest import read_manifest

STEPS = int(os.environ.get("PROPERTY_STEPS", "200"))
SEED = int(os.environ.get("PROPERTY_SEED", "0"))
SPACES = ("collisions", "content-gallery", "hangul-docs", "engineering")
BASE_URL = "http://localhost:3000"
TITLES = ["Notes", "Runbook", "회의록", "x/y plan", "Q: what?", "", "Architecture Overview", "Release Process",
          "CI/CD Pipeline", "Notes (1)"]
TEXTS = ["A new paragraph.", "**bold** and `code`", "- item one\n- item two", "## Added heading",
         "Braces {like} <these>", "한글 문단입니다."]


def tree_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class EditSequence:
    """One space on a fresh emulator: random edits, each followed by an incremental and a full sync."""

    def __init__(self, server: DocmostTestServer, client: DocmostClient, slug: str, work: Path,
                 rng: random.Random) -> None:
        self.server, self.client, self.work, self.rng = server, client, work, rng
        self.space = next(s for s in client.list_spaces() if s.slug == slug)
        self.runs = 0
        self.trashed: list[str] = []
        self.history: list[str] = []

    def pages(self) -> list:
        return list(read_manifest(self.client, self.space.id).entries)

    def step(self) -> None:
        edits = [self.edit_content, self.rename, self.rename_to_a_siblings_title, self.change_icon, self.move,
                 self.reorder, self.create, self.trash, self.restore, self.add_attachment, self.link_to_a_page,
                 self.show_a_file_of_another_space]
        edit = self.rng.choice(edits)
        self.history.append(edit())
        self.sync_both()

    # --- syncing ----------------------------------------------------------------------------------------
    def sync_both(self) -> None:
        self.runs += 1
        run = f"run-{self.runs:04d}"
        manifest = read_manifest(self.client, self.space.id)
        raw, _plan = export_changes(self.client, self.space, manifest, self.work / "raw" / run,
                                    bases=self.work / "raw")
        incremental, dropped = self.convert(raw.dir, run, cache=True)
        full_raw = download_space(self.client, self.space, self.work / "full" / run, manifest)
        full, _ = self.convert(full_raw.dir, f"{run}-full", cache=False)
        where = f"seed {SEED}, {self.space.slug}, after {self.history}"
        assert tree_files(incremental) == tree_files(full), f"incremental differs from full ({where})"
        check = check_pages_exactly_once(incremental, self.work / "extract" / run, raw.dir, dropped)
        assert check.passed, f"{check.summary} ({where})"
        for old in (self.work / "full" / run, self.work / "extract" / f"{run}-full", self.work / "tree" / f"{run}-full"):
            shutil.rmtree(old)

    def convert(self, raw_dir: Path, name: str, *, cache: bool) -> tuple[Path, list[str]]:
        """The converted tree and the zip paths of the pages the converter dropped on purpose."""
        export = extract_raw_export(raw_dir, self.work / "extract" / name)
        out = self.work / "tree" / name
        report = convert_space(export, out, space_slug=self.space.slug, space_name=self.space.name,
                               base_url=BASE_URL, cache_path=self.work / "cache.json" if cache else None)
        return out, [w.page for w in report.warnings if w.kind == "dropped_page"]

    # --- the edits: each returns what it did, for the failure message ------------------------------------
    def pick(self):
        return self.rng.choice(self.pages())

    def edit_content(self) -> str:
        page, text = self.pick(), self.rng.choice(TEXTS)
        self.server.append_text(page.id, text)
        return f"append_text({page.title!r}, {text!r})"

    def rename(self) -> str:
        page, title = self.pick(), self.rng.choice(TITLES)
        self.server.rename_page(page.id, title)
        return f"rename({page.title!r} -> {title!r})"

    def rename_to_a_siblings_title(self) -> str:
        groups: dict = {}
        for p in self.pages():
            groups.setdefault(p.parent_page_id, []).append(p)
        siblings = [g for g in groups.values() if len(g) > 1]
        if not siblings:
            return self.rename()
        page, other = self.rng.sample(self.rng.choice(siblings), 2)
        self.server.rename_page(page.id, other.title or "")
        return f"rename({page.title!r} -> sibling title {other.title!r})"

    def change_icon(self) -> str:
        page, icon = self.pick(), self.rng.choice(["📝", "🚀", None])
        self.server.set_icon(page.id, icon)
        return f"set_icon({page.title!r}, {icon!r})"

    def move(self) -> str:
        pages = self.pages()
        page = self.rng.choice(pages)
        below = descendants(page.id, pages)
        parent = self.rng.choice([None, *(p.id for p in pages if p.id != page.id and p.id not in below)])
        self.server.move_page(page.id, parent)
        return f"move({page.title!r} under {parent})"

    def reorder(self) -> str:
        pages = self.pages()
        page = self.rng.choice(pages)
        siblings = [p.id for p in pages if p.parent_page_id == page.parent_page_id and p.id != page.id]
        if not siblings:
            return self.edit_content()
        after = self.rng.choice(siblings)
        self.server.move_page(page.id, page.parent_page_id, after_id=after)
        return f"reorder({page.title!r} after {after})"

    def create(self) -> str:
        parent = self.rng.choice([None, *(p.id for p in self.pages())])
        title, text = self.rng.choice(TITLES), self.rng.choice(TEXTS)
        self.server.create_page(self.space.slug, title, parent_id=parent, content=text)
        return f"create({title!r} under {parent})"

    def trash(self) -> str:
        pages = self.pages()
        if len(pages) < 2:
            return self.create()
        page = self.rng.choice(pages)
        self.server.trash_page(page.id)
        self.trashed.append(page.id)
        return f"trash({page.title!r})"

    def restore(self) -> str:
        live = {p.id for p in self.pages()}
        # restoring a page restores what was trashed with it
        self.trashed = [page_id for page_id in self.trashed if page_id not in live]
        if not self.trashed:
            return self.trash()
        page_id = self.trashed.pop(self.rng.randrange(len(self.trashed)))
        self.server.restore_page(page_id)
        return f"restore({page_id})"

    def add_attachment(self) -> str:
        page = self.pick()
        self.server.add_attachment(page.id, "added image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
        return f"add_attachment({page.title!r})"

    def show_a_file_of_another_space(self) -> str:
        """Embed an attachment of another space (fetched on its own: no export holds it), now and then one that is
        gone (Docmost answers 404: the page shows its alt text)."""
        page = self.pick()
        others = sorted(a for m in self.server.wiki.spaces.values() if m.id != self.space.id for a in m.attachments)
        if others and self.rng.random() < 0.8:
            attachment = self.rng.choice(others)
            self.server.link_attachment(page.id, attachment)
            return f"link_attachment({page.title!r}, {attachment})"
        content = self.server.wiki.page(page.id)[1].content
        self.server.edit_page(page.id, f"{content}\n\n![gone](files/00000000-0000-7000-8000-00000000dead/gone.png)")
        return f"show a gone file on {page.title!r}"

    def link_to_a_page(self) -> str:
        page, target, mention = self.pick(), self.pick(), self.rng.random() < 0.5
        self.server.link_page(page.id, target.id, mention=mention)
        return f"link({page.title!r} -> {target.title!r}, mention={mention})"


def descendants(page_id: str, pages) -> set[str]:
    children: dict = {}
    for p in pages:
        children.setdefault(p.parent_page_id, []).append(p.id)
    found, stack = set(), [page_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@pytest.mark.parametrize("slug", SPACES)
def test_incremental_sync_equals_full_sync_after_every_edit(slug, tmp_path):
    rng = random.Random(f"{SEED}:{slug}")
    steps = STEPS // len(SPACES) + (1 if SPACES.index(slug) < STEPS % len(SPACES) else 0)
    with DocmostTestServer() as server, \
            DocmostClient(server.base_url, server.email, server.password, backoff_base=0.01) as client:
        sequence = EditSequence(server, client, slug, tmp_path, rng)
        sequence.sync_both()
        for _ in range(steps):
            sequence.step()
    assert sequence.runs == steps + 1
