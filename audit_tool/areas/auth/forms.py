from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import DataRequired, EqualTo, Regexp

from ...forms import AppForm, email_field, password_field, submit


class LoginForm(AppForm):
    email = email_field()
    password = password_field("Password", required="Enter your password")
    submit = submit("Sign in")


class ChangePasswordForm(AppForm):
    current_password = password_field("Current password", required="Enter your current password")
    new_password = password_field("New password", required="Enter a new password")
    confirm_password = password_field("Confirm new password", required="Confirm your new password")
    submit = submit("Change password")

    def validate_confirm_password(self, field):
        EqualTo("new_password", message="Passwords must match")(self, field)


class SignOutForm(AppForm):
    """Signing out is a POST with a CSRF token, so no other site can sign a user out."""


def _without_spaces(value):
    # Apps show codes as "123 456"; people type them that way.
    return value.replace(" ", "") if isinstance(value, str) else value


def code_field(label: str = "Code from your authenticator app"):
    return StringField(
        label,
        validators=[
            DataRequired(message="Enter the 6-digit code from your authenticator app"),
            Regexp(r"^[0-9]{6}$", message="The code must be 6 digits, like 123456"),
        ],
        filters=(_without_spaces,),
        widget=GovTextInput(),
    )


class TwoFactorCodeForm(AppForm):
    """The second sign-in step."""

    code = code_field()
    submit = submit("Continue")


class StartTwoFactorForm(AppForm):
    submit = submit("Set up two-factor sign-in")


class ConfirmTwoFactorForm(AppForm):
    code = code_field()
    submit = submit("Turn on two-factor sign-in")


class TurnOffTwoFactorForm(AppForm):
    code = code_field()
    submit = submit("Turn off two-factor sign-in")


class ResetTwoFactorForm(AppForm):
    submit = submit("Reset two-factor sign-in")
