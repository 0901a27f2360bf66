from __future__ import annotations

from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ...forms import AppForm, email_field, radio_field, select_field, submit, text_field
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
