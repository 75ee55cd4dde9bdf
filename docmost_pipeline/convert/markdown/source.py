"""The page source by lines, and the line syntax that both the repairs and the renderer read: container prefixes
(blockquote markers, indentation) and pipe-table rows."""

from __future__ import annotations


class Source:
    """The page text with the offset where each line starts (the parser reports block positions as lines)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def line(self, index: int) -> str:
        return self.lines[index] if index < len(self.lines) else ""

    def line_start(self, index: int) -> int:
        return self.starts[index] if index < len(self.starts) else len(self.text)

    def line_end(self, index: int) -> int:
        return self.line_start(index) + len(self.line(index))


def container_prefix(line: str) -> str:
    """Leading blockquote markers and indentation of a table/paragraph line."""
    return line[: len(line) - len(line.lstrip(" \t>"))]


def split_row(row: str) -> list[str]:
    """Cells of a pipe-table row: split at unescaped ``|``, outer pipes removed, cells trimmed."""
    text = row.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
        if backslashes % 2 == 0:
            text = text[:-1]
    cells: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    cells.append("".join(current))
    return [cell.strip() for cell in cells]


def join_row(prefix: str, cells: list[str]) -> str:
    return prefix + "| " + " | ".join(cells) + " |"
