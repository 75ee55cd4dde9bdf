"""YAML front matter of a converted doc, written with PyYAML so every string value is safely quoted.

Docusaurus 3 accepts unknown front-matter keys on docs, so the Docmost ids live under ``docmost:``, with ``links``:
the pages of other spaces the doc links to as ``/docmost/p/<slugId>``, slugId -> ``{space, url?}`` (their fallback
when that page is not published on the site; read by the site's ``docmost-links`` plugin).
``description`` (meta description, og:description, category cards) is the plain text of the page's first
paragraph (``RenderedBody.description``).
"""

from __future__ import annotations

from typing import Any

import yaml


class _Quoted(str):
    """A string value emitted quoted, so titles with ``: # ' "`` or emoji stay one plain string.

    Single quotes keep emoji and Hangul readable; PyYAML switches to double quotes by itself when the text
    needs escapes (newlines, control characters).
    """


class _FrontMatterDumper(yaml.SafeDumper):
    pass


# libyaml's emitter is ~4x faster (it matters on a 2,000-page space) but escapes characters outside the BMP
# (emoji) as \U0001F680; the pure-Python emitter keeps them readable. Same YAML semantics either way.
_FastDumper = type("_FastDumper", (getattr(yaml, "CSafeDumper", yaml.SafeDumper),), {})


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="'")


_FrontMatterDumper.add_representer(_Quoted, _represent_quoted)
_FastDumper.add_representer(_Quoted, _represent_quoted)


def _has_astral(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_astral(k) or _has_astral(v) for k, v in value.items())
    return isinstance(value, str) and any(ord(c) > 0xFFFF for c in value)


def _quote_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _quote_values(v) for k, v in value.items()}
    if isinstance(value, str):
        return _Quoted(value)
    return value


def sidebar_label(title: str, icon: str | None) -> str:
    return f"{icon} {title}" if icon else title


def build_front_matter(
    *,
    title: str,
    sidebar_position: int,
    description: str | None = None,
    icon: str | None = None,
    updated_at: str | None = None,
    edit_url: str | None = None,
    page_id: str | None = None,
    slug_id: str | None = None,
    links: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """``links``: slugId -> ``{"space": ..., "url": ...}`` (``url`` optional), written in the given order."""
    data: dict[str, Any] = {
        "title": title,
        "sidebar_label": sidebar_label(title, icon),
        "sidebar_position": sidebar_position,
    }
    if description is not None:
        # Plain text: without it Docusaurus takes the first line of the escaped MDX source (shows `\{`, `&#105;`).
        data["description"] = description
    if updated_at:
        data["last_update"] = {"date": updated_at}
    if edit_url:
        data["custom_edit_url"] = edit_url
    docmost: dict[str, Any] = {k: v for k, v in (("page_id", page_id), ("slug_id", slug_id)) if v}
    if links:
        # Keys quoted too: an all-digit slugId (or `null`, `1e10`) would otherwise read back as a number or null.
        docmost["links"] = {_Quoted(slug): dict(fallback) for slug, fallback in links.items()}
    if docmost:
        data["docmost"] = docmost
    return data


def dump_front_matter(data: dict[str, Any]) -> str:
    """``---\\n<yaml>---\\n`` with string values quoted, keys in the given order, no line folding."""
    text = yaml.dump(
        _quote_values(data),
        Dumper=_FrontMatterDumper if _has_astral(data) else _FastDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1 << 30,
    )
    return f"---\n{text}---\n"
