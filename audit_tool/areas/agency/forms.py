from __future__ import annotations

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput
from wtforms import IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import HiddenInput

from ...forms import AppForm, GovDateField, long_text_field, radio_field, submit, text_field
from ...services.assessments import NOT_APPLICABLE

LONG_TEXT = 20_000


class StartReturnForm(AppForm):
    start = radio_field(
        "How do you want to start?",
        choices=[
            SelectChoice("carry", "Start from our previous return"),
            SelectChoice("blank", "Start with a blank return"),
        ],
        required="Select how you want to start",
    )
    submit = submit("Start")


class CriterionForm(AppForm):
    """One criterion's answer. Everything is optional while drafting; the checks that
    matter (rated, evidenced, actions where needed) run when the return is submitted."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()], default=0)
    rating = RadioField("Rating", validators=[Optional()], widget=GovRadioInput())
    evidence = long_text_field(
        "Evidence",
        required=None,
        max_length=LONG_TEXT,
        hint="How your agency meets this. Name the documents, audits or data that show it.",
    )
    impact = long_text_field(
        "How do you know it works?",
        required=None,
        max_length=LONG_TEXT,
        hint="The difference it makes for children, and how you check",
    )
    improvement = long_text_field("Area for improvement", required=None, max_length=LONG_TEXT)
    action = long_text_field(
        "Action",
        required=None,
        max_length=LONG_TEXT,
        hint="What your agency will do. Needed where the rating calls for improvement.",
    )
    action_owner = text_field("Who owns the action", required=None)
    action_due = GovDateField("When the action is due", hint="For example, 27 3 2027")

    def __init__(self, *args, levels=(), allow_na: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(level.key, level.label) for level in reversed(levels)]
        if allow_na:
            choices.append(SelectChoice(NOT_APPLICABLE, "Not applicable to our agency"))
        self.rating.choices = choices
        self._levels = {level.key: level for level in levels}

    @property
    def level_key(self) -> str | None:
        return self.rating.data or None


class ConflictForm(CriterionForm):
    """The conflict page re-posts the user's answer with the version they have now seen."""


class EvidenceForm(AppForm):
    title = text_field("Title", required="Enter a title for the evidence")
    reference = text_field(
        "Reference or location",
        required=None,
        max_length=500,
        hint="For example, a document number, a link on your intranet, or where it is kept",
    )
    file = FileField("Upload a file (optional)", widget=GovFileInput())
    effective_on = GovDateField("Date it took effect", hint="For example, 1 4 2026")
    review_on = GovDateField(
        "Review or expiry date", hint="When it must be reviewed or stops being current"
    )
    submit = submit("Add evidence")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here, not in validate_reference: Optional() on an empty field stops
        # that field's validators, inline ones included.
        if not self.reference.data and not self.file.data:
            self.reference.errors = [*self.reference.errors, "Enter a reference or upload a file"]
            valid = False
        return valid

    def validate_review_on(self, field):
        if field.data and self.effective_on.data and field.data < self.effective_on.data:
            raise ValidationError(
                "Review or expiry date must be on or after the date it took effect"
            )


class DeclarationForm(AppForm):
    declaration_name = text_field(
        "Name of the senior lead signing off this return",
        required="Enter the name of the senior lead signing off this return",
    )
    declaration_role = text_field(
        "Their job title", required="Enter the job title of the senior lead"
    )
    submit = submit("Submit return")


class ConfirmForm(AppForm):
    """A bare POST with a CSRF token, for buttons such as Remove."""
