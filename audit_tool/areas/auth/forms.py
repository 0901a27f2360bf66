from __future__ import annotations

from wtforms.validators import EqualTo

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
