"""Long lists shown a page at a time: the page asked for (`?page=`), what it holds, and
the links of the GOV.UK pagination component."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .query_params import BadParameter, single


def page_number(args) -> int:
    """The page asked for, 1 when none is; refused unless a whole number from 1."""
    value = single(args, "page")
    if value is None:
        return 1
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise BadParameter("page", "page must be a whole number, 1 or more")
    return int(value)


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    size: int  # items a page holds
    total: int  # items in the whole list

    @property
    def count(self) -> int:
        """How many pages the list takes; an empty list still has its first page."""
        return max(1, -(-self.total // self.size))

    @property
    def exists(self) -> bool:
        return self.number <= self.count

    @property
    def first(self) -> int:
        """The position in the whole list of the page's first item (from 1)."""
        return min(self.total, (self.number - 1) * self.size + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.number * self.size)

    def links(self, href: Callable[[int], str], *, label: str) -> dict | None:
        """`govukPagination`'s parameters: previous and next, the first and last pages,
        this page and its neighbours, and an ellipsis for each gap (as the Design
        System's guidance shows them). None when everything fits on one page."""
        if self.count == 1:
            return None
        shown = sorted({1, self.count, self.number - 1, self.number, self.number + 1})
        items: list[dict] = []
        before = 0
        for number in (n for n in shown if 1 <= n <= self.count):
            if number > before + 1:
                items.append({"ellipsis": True})
            items.append({"number": number, "href": href(number), "current": number == self.number})
            before = number
        params: dict = {"items": items, "landmarkLabel": label}
        if self.number > 1:
            params["previous"] = {"href": href(self.number - 1)}
        if self.number < self.count:
            params["next"] = {"href": href(self.number + 1)}
        return params
