from __future__ import annotations

import re

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from ...forms import (
    AppForm,
    GovDateField,
    long_text_field,
    radio_field,
    select_field,
    submit,
    text_field,
)
from ...models import Outcome

TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ChallengeForm(AppForm):
    about = select_field("What is the challenge about?", required=None)
    question = long_text_field(
        "Challenge",
        required="Enter the challenge",
        max_length=5000,
        hint="The question the agency should answer",
    )
    submit = submit("Record challenge")

    def __init__(self, *args, standards=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice("", "The return as a whole")]
        for group in standards:
            standard = group.standard
            choices.append(SelectChoice(f"s{standard.id}", f"{standard.code}. {standard.title}"))
            for entry in group.entries:
                criterion = entry.criterion
                choices.append(
                    SelectChoice(f"c{criterion.id}", f"{criterion.code} {criterion.title}")
                )
        self.about.choices = choices


class ModerateForm(AppForm):
    rating = radio_field("Panel's rating", choices=[], required="Select the panel's rating")
    rationale = long_text_field(
        "Why the panel rated it this way",
        required="Enter why the panel rated it this way",
        max_length=5000,
    )
    submit = submit("Save moderated rating")

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rating.choices = [SelectChoice(level.key, level.label) for level in reversed(levels)]


OUTCOME_CHOICES = [SelectChoice(o.value, o.label) for o in Outcome]


class OutcomeForm(AppForm):
    outcome = radio_field("Outcome", choices=OUTCOME_CHOICES, required="Select the outcome")
    summary = long_text_field(
        "Summary for the agency", required="Enter a summary for the agency", max_length=10_000
    )
    private_notes = long_text_field(
        "Panel notes (optional)",
        required=None,
        max_length=10_000,
        hint="Only the panel and the PQA team see these. The agency does not.",
    )
    submit = submit("Save outcome")


class ActionForm(AppForm):
    description = long_text_field("Action", required="Enter the action", max_length=5000)
    owner = text_field("Who owns it", required="Enter who owns the action")
    due_on = GovDateField("Due date", required="Enter the due date", hint="For example, 31 3 2027")
    link = select_field("Linked to (optional)", required=None)
    submit = submit("Agree action")

    def __init__(self, *args, criteria=(), challenges=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice("", "Nothing in particular")]
        choices += [SelectChoice(f"c{c.id}", f"Criterion {c.code} {c.title}") for c in criteria]
        choices += [SelectChoice(f"q{q.id}", f"Challenge: {q.question[:80]}") for q in challenges]
        self.link.choices = choices


class ScheduleForm(AppForm):
    held_on = GovDateField("Date", required="Enter the date of the panel")
    starts_at = text_field(
        "Start time",
        required="Enter the start time",
        max_length=5,
        hint="Use the 24-hour clock, like 09:30",
    )
    place = text_field(
        "Place or video link", required="Enter where the panel meets", max_length=500
    )
    chair = select_field("Chair", required="Select the chair")
    members = SelectMultipleField(
        "Other panel members", widget=GovCheckboxesInput(), validators=[Optional()]
    )
    agencies = SelectMultipleField(
        "Agencies attending",
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Select the agencies attending")],
        description="Each gets a 45-minute slot, in alphabetical order from the start time",
    )
    submit = submit("Schedule panel")

    def __init__(self, *args, panel_members=(), assessments=(), **kwargs):
        super().__init__(*args, **kwargs)
        people = [SelectChoice(str(u.id), u.name) for u in panel_members]
        self.chair.choices = [SelectChoice("", "Select the chair"), *people]
        self.members.choices = people
        self.agencies.choices = [SelectChoice(str(a.id), a.agency.name) for a in assessments]

    def validate_starts_at(self, field):
        if field.data and not TIME.match(field.data):
            raise ValidationError("Enter the start time like 09:30")


class ReasonForm(AppForm):
    reason = long_text_field(
        "Why are you reopening this panel?",
        required="Enter why you are reopening this panel",
        max_length=2000,
    )
    submit = submit("Reopen panel")


class AnswerForm(AppForm):
    response = long_text_field("Your answer", required="Enter your answer", max_length=10_000)
    submit = submit("Send answer")


class ConfirmForm(AppForm):
    """A bare POST with a CSRF token, for buttons."""


class CloseActionForm(AppForm):
    # Used by PQA (any action) and a panel's chair (the panel's own actions).
    note = long_text_field(
        "Closing note",
        required="Enter a closing note",
        max_length=2000,
        hint="What was done, and how the partnership knows it made a difference",
    )
    submit = submit("Close action")
