"""Hypothesis strategies for hostile text: markup and script, spreadsheet formulas,
unicode edge cases, control characters and oversize values. The fuzz tests put these
through every form and the API."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import strategies as st

MARKUP = [
    "<script>alert('fuzz')</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" autofocus onfocus="alert(1)',
    "</textarea><script>alert(1)</script>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "{{ 7*7 }}{% if 1 %}x{% endif %}",
]
FORMULAS = ['=HYPERLINK("http://x","click")', "=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(1)"]
UNICODE = [
    "e\u0301\u0302\u0303\u0304",  # stacked combining marks
    "\u202egpj.exe\u202c",  # right-to-left override
    "a\u200db\u200cc\u200bd",  # zero-width joiner, non-joiner, space
    "\U0001f469\u200d\U0001f467\u200d\U0001f466",  # an astral emoji sequence
    "\U0001d54f\U00010348",  # astral letters
    "\ufeffBOM",
    "\u0130\u00df\ufb03",  # letters that change length when case-folded
    "\ufffd",
]
CONTROL = [chr(code) for code in range(32)] + ["\x7f", "\x85", "\u2028", "\u2029"]

_piece = st.one_of(
    st.sampled_from(MARKUP + FORMULAS + UNICODE),
    st.sampled_from(CONTROL),
    st.characters(categories=["Cs"]),  # lone surrogates: sent as bytes that are not UTF-8
    st.text(max_size=12),
)
_oversize = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["x", "é", "\U0001f600", MARKUP[0]]),
    st.sampled_from([5_000, 100_000]),
)
nasty_text = st.one_of(st.lists(_piece, min_size=1, max_size=8).map("".join), _oversize)


def form_body(fields: dict[str, str | list[str]]) -> bytes:
    """An application/x-www-form-urlencoded body. Lone surrogates go through as the bytes
    a careless client would send (`surrogatepass`), which are not valid UTF-8."""
    pairs = []
    for name, values in fields.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append(
                (name.encode("utf-8", "surrogatepass"), value.encode("utf-8", "surrogatepass"))
            )
    return urlencode(pairs).encode("ascii")


def query_string(params: dict[str, str]) -> str:
    return form_body(params).decode("ascii")
