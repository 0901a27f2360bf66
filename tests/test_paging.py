"""Pages of long lists: which items a page holds and the links the pagination shows."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from audit_tool.web.paging import Page, page_number
from audit_tool.web.query_params import BadParameter


def _shown(page: Page) -> list:
    links = page.links(lambda number: f"?page={number}", label="Pages")
    if links is None:
        return []
    return [item.get("number", "…") for item in links["items"]]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, [1, 2, "…", 9]),
        (2, [1, 2, 3, "…", 9]),
        (3, [1, 2, 3, 4, "…", 9]),
        (5, [1, "…", 4, 5, 6, "…", 9]),
        (8, [1, "…", 7, 8, 9]),
        (9, [1, "…", 8, 9]),
    ],
)
def test_links_show_the_ends_and_the_neighbours_with_ellipses_between(number, expected):
    assert _shown(Page(number, 50, 420)) == expected


def test_links_go_back_and_on_from_the_pages_between():
    first = Page(1, 50, 120).links(str, label="Pages of actions")
    assert "previous" not in first and first["next"] == {"href": "2"}
    assert first["landmarkLabel"] == "Pages of actions"
    assert [item["current"] for item in first["items"]] == [True, False, False]
    middle = Page(2, 50, 120).links(str, label="Pages")
    assert middle["previous"] == {"href": "1"} and middle["next"] == {"href": "3"}
    last = Page(3, 50, 120).links(str, label="Pages")
    assert last["previous"] == {"href": "2"} and "next" not in last


@pytest.mark.parametrize(
    ("number", "total", "first", "last", "count", "exists"),
    [
        (1, 0, 0, 0, 1, True),  # an empty list has its first page, showing nothing
        (1, 50, 1, 50, 1, True),
        (1, 51, 1, 50, 2, True),
        (2, 51, 51, 51, 2, True),
        (3, 100, 100, 100, 2, False),
    ],
)
def test_what_a_page_holds(number, total, first, last, count, exists):
    page = Page(number, 50, total)
    assert (page.first, page.last, page.count, page.exists) == (first, last, count, exists)
    assert (page.links(str, label="Pages") is None) == (count == 1)


@pytest.mark.parametrize(
    ("query", "expected"), [([], 1), ([("page", "1")], 1), ([("page", "12")], 12)]
)
def test_the_page_asked_for(query, expected):
    assert page_number(MultiDict(query)) == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "", "²"])
def test_a_page_that_is_not_a_whole_number_from_1_is_refused(value):
    with pytest.raises(BadParameter) as refused:
        page_number(MultiDict([("page", value)]))
    assert refused.value.parameter == "page"


def test_a_page_given_twice_is_refused():
    with pytest.raises(BadParameter):
        page_number(MultiDict([("page", "1"), ("page", "2")]))
