"""Every data table on every portal page says what it holds in a caption, its first child.

A screen reader lists a page's tables by their captions; a table without one is "table, 6 rows"
and nothing more. The pages are the persona matrix's pages each role may open.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.browser.test_accessibility import portal_pages
from tests.conftest import pass_second_factor
from tests.test_persona_matrix import World, world  # noqa: F401 - the fixture


class _Tables(HTMLParser):
    """Each table of a page, with the first element inside it and its caption's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, str]] = []
        self._open: list[dict[str, str]] = []
        self._in_caption = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._open and not self._open[-1]["first"]:
            self._open[-1]["first"] = tag
        if tag == "table":
            table = {"first": "", "caption": ""}
            self.tables.append(table)
            self._open.append(table)
        elif tag == "caption":
            self._in_caption += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._open:
            self._open.pop()
        elif tag == "caption":
            self._in_caption -= 1

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._open:
            self._open[-1]["caption"] += data.strip()


def tables_without_caption(html: str) -> int:
    parser = _Tables()
    parser.feed(html)
    return sum(1 for t in parser.tables if t["first"] != "caption" or not t["caption"])


def test_a_table_without_a_caption_is_found() -> None:
    assert tables_without_caption("<table><thead><tr><th>A</th></tr></thead></table>") == 1
    assert tables_without_caption("<table><caption></caption><tr><td>1</td></tr></table>") == 1
    assert (
        tables_without_caption("<table><caption>Scores</caption><tr><td>1</td></tr></table>") == 0
    )


@pytest.mark.parametrize("persona", ["demo-cso-a", "demo-ministry", "demo-observer", "demo-admin"])
def test_every_table_on_every_page_has_a_caption(world: World, persona: str) -> None:  # noqa: F811
    client = Client()
    user = world.users[persona]
    if user.is_staff:
        pass_second_factor(client, user)
    else:
        client.force_login(user)
    missing = {}
    tables = 0
    for path in portal_pages(persona, world):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        html = response.content.decode()
        tables += html.count("<table")
        if count := tables_without_caption(html):
            missing[path] = count
    assert tables > 5
    assert missing == {}
