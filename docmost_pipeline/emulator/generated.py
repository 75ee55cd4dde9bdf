"""A generated space for benchmarks: thousands of pages in the page model, exported by the same code as the rest.

Owns :func:`generated_space_model`. Deterministic for a given ``seed``: the same titles, tree, times and bodies every
time (and the same ids for the same space). The pages:

* bodies: the stored content of the recorded pages (Engineering, 한글 문서, Content Gallery), round robin, with their
  links and mentions reduced to their text and their images dropped (they belong to the recorded spaces);
* titles: the recorded page's title and a number; every 50th page reuses the title of an earlier sibling, so the
  export's duplicate suffixes show up;
* tree: about 5% root pages, the others under one of the 400 pages made before them, at most 4 levels deep;
  siblings in creation order;
* every 5th page links to an earlier page (internal link), every 7th mentions one, every 40th has an attachment (a
  recorded image or file), so exports carry relative links, mention labels and ``files/`` folders at every depth;
* times: one page per second from :data:`GENERATED_EPOCH` (``createdAt`` = ``updatedAt``), ids UUIDv7 of those times
  (their random part from ``seed`` and the space id, so two generated spaces never share ids).
"""

from __future__ import annotations

import random
import re

from docmost_pipeline.emulator import docmark
from docmost_pipeline.emulator.model import (
    SLUG_ALPHABET,
    Attachment,
    Page,
    SpaceModel,
    iso_ms,
    mention_token,
    parse_iso_ms,
    uuid7,
)
from docmost_pipeline.emulator.positions import key_between

#: When the generated pages were "written": after every recorded time, before a test's own changes.
GENERATED_EPOCH = "2026-11-25T08:00:00.000Z"
_IMAGE_LINE = re.compile(r"^.*!\[[^\]]*\]\(files/[^)]*\).*$\n?", re.MULTILINE)
_ROOT_SHARE = 0.05
_MAX_DEPTH = 3


def _plain_links(content: str) -> str:
    """``content`` with every link and mention replaced by its label, and without lines showing attachments."""
    out, last = [], 0
    for token in docmark.iter_links(content):
        out.append(content[last:token.start] + token.label)
        last = token.end
    out.append(content[last:])
    text = _IMAGE_LINE.sub("", "".join(out))
    return re.sub(r"\[([^\]]*)\]\(files/[^)]*\)", r"\1", text).strip()


def generated_space_model(item: dict, pages: int, seed: int, sources: list[SpaceModel]) -> SpaceModel:
    """A space ``item`` (id, name, slug) with ``pages`` generated pages built from the recorded ``sources``."""
    rng = random.Random(seed)
    ids = random.Random(f"{seed}/{item['id']}")  # two generated spaces never share page ids
    model = SpaceModel(item)
    recorded = [p for source in sources for p in sorted(source.live_pages(), key=lambda p: p.read_rank) if p.content]
    bodies = [(p.title or "untitled", _plain_links(p.content)) for p in recorded]
    files = [a for source in sources for a in source.attachments.values() if len(a.data) < 64 * 1024]
    start = parse_iso_ms(GENERATED_EPOCH)
    made: list[Page] = []
    depth: dict[str, int] = {}
    last_child: dict[str | None, str | None] = {}
    for index in range(pages):
        ms = start + index * 1000
        when = iso_ms(ms)
        candidates = [p for p in made[-400:] if depth[p.id] < _MAX_DEPTH]
        parent = None if index < 3 or rng.random() < _ROOT_SHARE or not candidates else rng.choice(candidates)
        parent_id = parent.id if parent else None
        base_title, body = bodies[index % len(bodies)] if bodies else ("Page", "")
        title = f"{base_title} {index + 1:04d}"
        if index % 50 == 49:
            siblings = [p for p in made if p.parent_id == parent_id]
            title = rng.choice(siblings).title if siblings else title
        position = key_between(last_child.get(parent_id), None)
        last_child[parent_id] = position
        slug_id = "".join(ids.choice(SLUG_ALPHABET) for _ in range(10))
        page_id = uuid7(ms, ids.randbytes(10))
        page = Page(id=page_id, slug_id=slug_id, title=title, icon=None, position=position, parent_id=parent_id,
                    space_id=model.id, created_at=when, updated_at=when, content=body, read_rank=(1, when, page_id))
        extras = []
        if made and index % 5 == 0:
            target = rng.choice(made)
            label = docmark.turndown_text(target.title)
            slug = docmark.page_url_slug(target.title, target.slug_id)
            extras.append(f"See also [{label}](/s/{model.slug}/p/{slug}).")
        if made and index % 7 == 0:
            target = rng.choice(made)
            extras.append("Related: " + mention_token(docmark.turndown_text(target.title), target.id, target.slug_id))
        if files and index % 40 == 39:
            source = files[(index // 40) % len(files)]
            attachment = Attachment(uuid7(ms, ids.randbytes(10)), source.file_name, source.data, page.id)
            model.attachments[attachment.id] = attachment
            page.attachment_ids.append(attachment.id)
            extras.append(f"![{source.file_name}](files/{attachment.id}/{source.file_name})")
        page.content = "\n\n".join(part for part in [page.content, *extras] if part)
        depth[page.id] = depth[parent_id] + 1 if parent_id else 0
        model.pages[page.id] = page
        made.append(page)
    model.changed = True
    return model

