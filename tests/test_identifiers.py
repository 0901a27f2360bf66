"""Spotting text that could identify a child: what must be found, and the ordinary
case-audit writing that must not be."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from audit_tool.identifiers import find_identifiers


def kinds(text: str) -> list[str]:
    return [finding.kind for finding in find_identifiers(text)]


def check_digit(nine: str) -> int | None:
    """The NHS number's modulus 11 check digit for nine digits; None when there is none
    (a remainder giving 10 means no NHS number starts with those nine digits)."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@st.composite
def nhs_numbers(draw) -> str:
    nine = draw(nine_digits)
    digit = check_digit(nine)
    assume(digit is not None)
    return f"{nine}{digit}"


@st.composite
def not_nhs_numbers(draw) -> str:
    nine = draw(nine_digits)
    last = draw(st.integers(0, 9))
    assume(last != check_digit(nine))
    return f"{nine}{last}"


# NHS numbers -----------------------------------------------------------------------

SPELLINGS = [
    lambda n: n,
    lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
    lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
]


@given(nhs_numbers(), st.sampled_from(SPELLINGS), st.sampled_from(["", "Seen by GP, ", "(", "#"]))
@example("9434765919", SPELLINGS[0], "")
@example("4010232137", SPELLINGS[1], "NHS ")
def test_valid_nhs_numbers_are_found_however_they_are_spelled(number, spell, before):
    text = f"{before}{spell(number)} on file."
    assert "an NHS number" in kinds(text)


@given(not_nhs_numbers())
def test_ten_digits_failing_the_check_are_not_taken_for_an_nhs_number(number):
    assert "an NHS number" not in kinds(f"Reference {number} in the police system")


@given(not_nhs_numbers())
def test_ten_digits_grouped_like_an_nhs_number_are_found_even_if_the_check_fails(number):
    grouped = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert "an NHS number" in kinds(f"Number {grouped} given")


def test_an_nhs_number_label_is_found_on_its_own():
    assert "an NHS number" in kinds("NHS no: see the health record")
    assert "an NHS number" in kinds("Her nhs number was recorded")
    # The message quotes the whole label, so the user can find it in what they wrote.
    assert [f.text for f in find_identifiers("Her NHS number was recorded")] == ["NHS number"]
    assert [f.text for f in find_identifiers("NHS num. on file")] == ["NHS num"]


def test_longer_runs_of_digits_are_not_nhs_numbers():
    assert kinds("Crime reference 94347659190") == []
    assert kinds("Case 19434765919") == []


# Dates -----------------------------------------------------------------------------

FULL_DATE_FORMATS = [
    "%d/%m/%Y",
    "%-d/%-m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%-d %B %Y",
    "%-d %b %Y",
    "%d %b %y",
    "%B %-d, %Y",
    "%b %-d %Y",
    "%-d of %B %Y",
]
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))


@given(dates, st.sampled_from(FULL_DATE_FORMATS))
def test_full_dates_in_common_formats_are_found(day, fmt):
    text = f"Strategy discussion held on {day.strftime(fmt)} with police"
    assert "a full date" in kinds(text)


@given(dates, st.sampled_from(FULL_DATE_FORMATS), st.sampled_from([".", ".)", "?", ";", ". Then"]))
def test_full_dates_ending_a_sentence_are_found(day, fmt, after):
    text = f"The strategy discussion was held on {day.strftime(fmt)}{after}"
    assert "a full date" in kinds(text)


@given(dates)
def test_ordinal_dates_are_found(day):
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(day.day, "th")
    assert "a full date" in kinds(f"Seen on the {day.day}{suffix} {day:%B %Y}")


@given(dates, st.sampled_from(["%B %Y", "%b %Y", "%m/%Y", "%Y-%m", "%B"]))
def test_month_and_year_are_not_found(day, fmt):
    text = f"Mother attended the strategy meeting in {day.strftime(fmt)}"
    assert kinds(text) == []


def test_a_date_of_birth_label_is_found():
    assert "a date of birth" in kinds("DOB recorded on the referral")
    assert "a date of birth" in kinds("Her date of birth is on the file")


# Ordinary case-audit writing -------------------------------------------------------

ORDINARY = [
    "Mother attended the strategy meeting in March 2025",
    "3 agencies attended",
    "Section 47 enquiry",
    "CP plan for 18 months",
    "Dr Patel (GP)",
    "Section 17 child in need plan from June 2023",
    "Initial child protection conference within 15 working days",
    "The plan was reviewed at 3, 6 and 9 months",
    "Seen alone on 4 of 6 visits",
    "Graded Care Profile 2 completed in May 2024",
    "Police attended 3 times under Operation Encompass",
    "MARAC referral made; risk score 14 on the DASH",
    "Child was seen 2 times in 12 weeks by the health visitor",
    "Strategy discussion held within 1 working day of the referral",
    "Case DA-2026-03 was open to early help",
    "1 in 5 referrals came from schools",
    "Version 2 of the plan was shared",
    "Referral on 12 May, assessment started the following week",
    "Child 10 to 15 age band, looked after",
    # Services and roles after "called", "named" or "known as" are not names.
    "The school called Police the same day",
    "Mum called MASH for advice",
    "Discussed with the named GP for safeguarding",
    "Mother called Children's Social Care",
    "Referred to what is known as MARAC",
    # Counting court hearings is not an address.
    "There were 2 Family Court hearings",
    "1 Youth Court appearance in the period",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_case_audit_sentences_are_not_found(text):
    assert find_identifiers(text) == []


# Names, addresses, postcodes -------------------------------------------------------

FOUND = [
    ("Mrs Smith did not attend", "a name"),
    ("Ms. Jones was not invited", "a name"),
    ("The child, called Jack, was seen", "a name"),
    ("A boy named Tom", "a name"),
    ("Child's name: Ava", "a name"),
    ("The family lives at 12 Acacia Avenue", "an address"),
    ("Moved to 3 Hill Top Road", "an address"),
    ("Postcode SW1A 1AA", "a postcode"),
    ("Seen in LS1 4AP", "a postcode"),
]


@pytest.mark.parametrize(("text", "kind"), FOUND)
def test_names_addresses_and_postcodes_are_found(text, kind):
    assert kind in kinds(text)


def test_findings_come_in_the_order_they_appear_with_a_message_for_the_field():
    findings = find_identifiers("Mrs Smith, born 01/02/2016, NHS 943 476 5919")
    assert [f.kind for f in findings] == ["a name", "a full date", "an NHS number"]
    assert [f.text for f in findings] == ["Mrs Smith", "01/02/2016", "943 476 5919"]
    message = findings[1].message("Comments on question 1")
    assert message.startswith("Comments on question 1 looks like it includes a full date")
    assert "“01/02/2016”" in message and "give the month and year only" in message
    assert "Case audits must not identify the child" in findings[0].message("Notes")


def test_empty_text_has_nothing():
    assert find_identifiers("") == []


def test_a_pseudonymous_form_checks_what_people_type_not_its_hidden_fields(app):
    """The CSRF token is random text that can look like a postcode ("aw59PA"): checking
    it would refuse a good save at random."""
    from wtforms import HiddenField

    from audit_tool.forms import PseudonymousForm, long_text_field

    class NoteForm(PseudonymousForm):
        version = HiddenField()
        note = long_text_field("Note", required="Enter a note")

    with app.test_request_context(method="POST"):
        form = NoteForm(meta={"csrf": False}, data={"version": "aw59PA", "note": "Seen at home"})
        assert form.validate(), form.errors
        form = NoteForm(meta={"csrf": False}, data={"version": "1", "note": "Lives at AW5 9PA"})
        assert not form.validate()
        assert "looks like it includes a postcode" in form.note.errors[0]
