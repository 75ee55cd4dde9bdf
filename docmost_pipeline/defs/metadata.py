"""Metadata the Dagster UI renders: Markdown tables of pages, warnings and check problems."""

MAX_TABLE_ROWS = 200


def _cell(value):
    # A '|' or a line break inside a cell would end the cell or the row of a Markdown table.
    return value.replace("|", "\\|").replace("\n", " ") if isinstance(value, str) else value


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table (for ``MetadataValue.md``) of at most MAX_TABLE_ROWS rows; cell text is escaped here."""
    if not rows:
        return "_(none)_"
    import pandas as pd  # here, not at the top: loading the code location (every run worker) stays light

    frame = pd.DataFrame([{c: _cell(row.get(c)) for c in columns} for row in rows[:MAX_TABLE_ROWS]], columns=columns)
    text = frame.to_markdown(index=False)
    if len(rows) > MAX_TABLE_ROWS:
        text += f"\n\n… and {len(rows) - MAX_TABLE_ROWS} more"
    return text


def page_tree_table(export) -> str:
    """The extracted page list as an indented table (title, slugId, path in the ZIP, recovered)."""
    by_id = {p.page_id: p for p in export.pages}

    def depth(page) -> int:
        level, seen = 0, set()
        while page.parent_page_id in by_id and page.page_id not in seen:
            seen.add(page.page_id)
            page = by_id[page.parent_page_id]
            level += 1
        return level

    rows = [
        {
            "page": ("\u2003" * depth(p)) + (p.title or "(untitled)"),
            "slugId": p.slug_id or "",
            "path in ZIP": p.zip_path,
            "recovered": "yes" if p.recovered else "",
        }
        for p in export.pages
    ]
    return markdown_table(rows, ["page", "slugId", "path in ZIP", "recovered"])
