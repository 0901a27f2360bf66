from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from ...forms import (
    AppForm,
    GovDateField,
    email_field,
    long_text_field,
    radio_field,
    select_field,
    submit,
    text_field,
)
from ...models import ROLE_LABELS, SECTOR_LABELS, Role

SECTOR_CHOICES = [SelectChoice(sector.value, label) for sector, label in SECTOR_LABELS.items()]
ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class AgencyForm(AppForm):
    name = text_field("Agency name", required="Enter the agency name")
    sector = radio_field("Sector", choices=SECTOR_CHOICES, required="Select the agency's sector")
    submit = submit("Save agency")


class ConfirmForm(AppForm):
    """A bare POST with a CSRF token, for buttons such as Archive or Deactivate."""


def _role_choice():
    return radio_field("Role", choices=ROLE_CHOICES, required="Select a role")


def _agency_choice():
    return select_field(
        "Agency they lead for", required=None, hint="Only for agency safeguarding leads"
    )


class _ChoosesRole:
    """Role and agency fields work together: an agency lead needs an agency.

    Subclasses declare `role` and `agency` themselves so the fields (and the error
    summary) keep the order they appear on the page."""

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agency.choices = [SelectChoice("", "Select an agency")] + [
            SelectChoice(str(link.agency_id), link.agency.name) for link in agencies
        ]

    def validate_agency(self, field):
        if self.role.data == Role.AGENCY_LEAD.value and not field.data:
            raise ValidationError("Select the agency this person leads for")

    @property
    def agency_id(self) -> int | None:
        return int(self.agency.data) if self.agency.data else None


class RoleForm(_ChoosesRole, AppForm):
    role = _role_choice()
    agency = _agency_choice()
    submit = submit("Add role")


class NewUserForm(_ChoosesRole, AppForm):
    name = text_field("Full name", required="Enter the person's full name")
    email = email_field(hint="They will use this to sign in")
    role = _role_choice()
    agency = _agency_choice()
    submit = submit("Create account")


class UserDetailsForm(AppForm):
    name = text_field("Full name", required="Enter the person's full name")
    email = email_field()
    submit = submit("Save details")


class SettingsForm(AppForm):
    name = text_field("Partnership name", required="Enter the partnership name")
    contact_email = email_field(
        "Business unit email address",
        hint="Shown to agencies as the contact for questions about audits",
    )
    submit = submit("Save settings")


PARTICIPATION_CHOICES = [
    SelectChoice("all", "All current agencies"),
    SelectChoice("sectors", "Agencies in chosen sectors"),
]


class CycleForm(AppForm):
    name = text_field(
        "Name",
        required="Enter a name for the cycle",
        hint="For example, Section 11 audit 2026 to 2028",
    )
    framework_version = select_field("Framework", required="Select a framework", coerce=str)
    opens_on = GovDateField("Opening date", required="Enter the opening date")
    due_on = GovDateField("Date returns are due", required="Enter the date returns are due")
    panel_from = GovDateField("Challenge panels from (optional)")
    panel_to = GovDateField("Challenge panels until (optional)")
    participation = radio_field(
        "Which agencies take part?",
        choices=PARTICIPATION_CHOICES,
        required="Select which agencies take part",
    )
    sectors = SelectMultipleField(
        "Sectors taking part",
        choices=SECTOR_CHOICES,
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    submit = submit("Create cycle")

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.framework_version.choices = [SelectChoice("", "Select a framework")] + [
            SelectChoice(str(version.id), version.label) for version in versions
        ]

    def validate_sectors(self, field):
        if self.participation.data == "sectors" and not field.data:
            raise ValidationError("Select at least one sector")


class ReopenForm(AppForm):
    reason = long_text_field(
        "Why are you reopening this return?",
        required="Enter why you are reopening this return",
        max_length=2000,
        hint="The agency will see this",
    )
    submit = submit("Reopen return")
