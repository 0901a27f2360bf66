"""Spotting text that could identify a child, so case audits stay pseudonymous.

Case audits refer to children only by the partnership's case reference. People write
free text quickly, though, and paste from case records: this module finds what most
often slips through (NHS numbers, full dates such as a date of birth, postcodes and
street addresses, and names given with a title or introduced as "called ..."), and
the forms refuse to save until it is removed.

It errs on the side of blocking. A full date of any event is refused too: with an age
band and a theme it can be enough to find the child, and month and year ("March 2025")
say what an audit needs. Pure: no database, no Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str  # what was found, to show the user where it is
    advice: str

    def message(self, label: str) -> str:
        return f"{label} looks like it includes {self.kind} (“{self.text}”): {self.advice}"


_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_NUMERIC_MONTH = r"(?:0?[1-9]|1[0-2])"

_NHS_GROUPED = re.compile(r"(?<!\d)(\d{3})[ -](\d{3})[ -](\d{4})(?!\d)")
_NHS_PLAIN = re.compile(r"(?<!\d)(\d{10})(?!\d)")
# The longest wording first, so the message quotes "NHS number", not "NHS num".
_NHS_LABEL = re.compile(r"\bnhs\s*(?:number|num|no\b|#)", re.IGNORECASE)
_DOB_LABEL = re.compile(r"\b(?:d\.?o\.?b\b\.?|date\s+of\s+birth|born\s+on)", re.IGNORECASE)
_FULL_DATES = (
    # A full stop may end the sentence after a date ("seen on 12/03/2025."); only a
    # digit after it ("1.2.2020.5") makes the run something other than a date.
    re.compile(rf"(?<![\d/.-]){_DAY}[/.-]{_NUMERIC_MONTH}[/.-](?:\d{{4}}|\d{{2}})(?![\d/-]|\.\d)"),
    re.compile(r"(?<![\d-])\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?![\d-])"),
    re.compile(rf"\b{_DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{2,4}}\b", re.I),
    re.compile(rf"\b{_MONTHS}\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.IGNORECASE),
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][a-z']+\s+){1,3}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Close|Drive|Way|Crescent|Court|Gardens|Place"
    r"|Terrace|Grove|Hill|Walk|Square|Mews|Row|View|Rise)\b"
)
# A title and a surname, or a first name introduced as one. "Dr" is left out: doctors
# are named as professionals, and a child's family rarely are with it.
_TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Master)\.?\s+[A-Z][A-Za-z'-]+")
_INTRODUCED_NAME = re.compile(
    r"\b(?:named|called|known\s+as|(?:child's|childs|first|last|sur)\s*name(?:\s+is)?:?)"
    r"\s+(?P<word>[A-Z][A-Za-z'-]+)"
)
# What follows "called", "named" or "known as" in ordinary audit writing is often a
# service, a role or a process, not a person: "the school called Police", "the named
# GP", "known as MARAC". These words are never taken for a name after those words.
# fmt: off
_NOT_NAMES = frozenset({
    "ambulance", "cafcass", "camhs", "childline", "children's", "childrens", "doctor",
    "duty", "early", "edt", "emergency", "gp", "gps", "health", "helpline", "housing",
    "hub", "idva", "isva", "lado", "marac", "mappa", "mash", "midwife", "nspcc", "nurse",
    "nursery", "ofsted", "operation", "out", "paediatrician", "police", "probation",
    "refuge", "school", "section", "social", "strategy", "team", "the", "this", "yot",
    "youth",
})
# fmt: on
_NAME_LABEL = re.compile(r"\bname\s*:\s*\S+", re.IGNORECASE)
# "2 Family Court hearings" counts hearings; it is not an address.
_COURT_NOT_ADDRESS = re.compile(
    r"\b(?:Family|Youth|Crown|Magistrates'?|County|High|Coroner's|Coroners)\s+Court$"
)

_NO_IDENTIFIERS = "Case audits must not identify the child. Refer to the case reference"


def _nhs_check_digit_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check: a random 10-digit number passes 1 time in 11,
    so a run of digits that passes is very likely an NHS number."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_identifiers(text: str) -> list[Finding]:
    """Everything in `text` that looks like it identifies a person, in order found."""
    if not text:
        return []
    findings: list[tuple[int, Finding]] = []

    def add(match: re.Match, kind: str, advice: str) -> None:
        findings.append((match.start(), Finding(kind, match.group(0), advice)))

    nhs_advice = f"remove it. {_NO_IDENTIFIERS} instead"
    for match in _NHS_GROUPED.finditer(text):
        add(match, "an NHS number", nhs_advice)
    for match in _NHS_PLAIN.finditer(text):
        if _nhs_check_digit_valid(match.group(1)):
            add(match, "an NHS number", nhs_advice)
    for match in _NHS_LABEL.finditer(text):
        add(match, "an NHS number", nhs_advice)
    for match in _DOB_LABEL.finditer(text):
        add(match, "a date of birth", f"remove it. {_NO_IDENTIFIERS} and the age band")
    date_advice = "give the month and year only, for example March 2025"
    for pattern in _FULL_DATES:
        for match in pattern.finditer(text):
            add(match, "a full date", date_advice)
    for match in _POSTCODE.finditer(text):
        add(match, "a postcode", f"remove it. {_NO_IDENTIFIERS} instead")
    for match in _STREET.finditer(text):
        if not _COURT_NOT_ADDRESS.search(match.group(0)):
            add(match, "an address", f"remove it. {_NO_IDENTIFIERS} instead")
    name_advice = f"remove it. {_NO_IDENTIFIERS}, and describe people by role (mother, GP)"
    for match in _INTRODUCED_NAME.finditer(text):
        if match.group("word").casefold() not in _NOT_NAMES:
            add(match, "a name", name_advice)
    for pattern in (_TITLED_NAME, _NAME_LABEL):
        for match in pattern.finditer(text):
            add(match, "a name", name_advice)
    findings.sort(key=lambda pair: pair[0])
    return [finding for _, finding in findings]
