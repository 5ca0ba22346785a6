"""Read a rendered report back: its sections, tables and attributes, with the standard
library's HTML parser (what a browser would show, without a browser)."""

from __future__ import annotations

from html.parser import HTMLParser


class ReportPage(HTMLParser):
    """Tables per section id (rows of cell texts), and every attribute of every tag."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.attributes: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
            self.tables[self._section] = []
        elif tag == "table":
            self.tables.setdefault(self._section, []).append([])
        elif tag == "tr":
            self._end_row()  # a row's end tag may be left out, as HTML allows
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()  # so may a cell's
            self._cell = []

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            self.tables[self._section][-1].append(self._row)
        self._row = None

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, section: str, index: int = 0) -> dict[str, list[str]]:
        """A section's table by its first column (header row left out)."""
        rows = self.tables[section][index][1:]
        return {row[0]: row[1:] for row in rows}


def number(text: str) -> int:
    return int(text.replace(",", ""))
