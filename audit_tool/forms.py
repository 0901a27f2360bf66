"""The base for every form: whitespace stripped, hidden control characters refused."""

from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovDateInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    StopValidation,
)

from .db import db
from .identifiers import find_identifiers
from .services import DomainError

# Control characters have no place in typed text; they hide content and break exports.
# Multi-line fields may hold line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AppForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField):
                filters = unbound_field.kwargs.get("filters", ())
                options["filters"] = (_strip, *filters)
            return unbound_field.bind(form=form, **options)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field, StringField) or not field.data:
                continue
            multiline = field.type in ("TextAreaField", "TextArea")
            pattern = _CONTROL if multiline else _SINGLE_LINE_CONTROL
            if pattern.search(field.data):
                field.errors = [
                    *field.errors,
                    f"{field.label.text} must not include hidden control characters",
                ]
                valid = False
        return valid

    def refuse(self, error: DomainError, *, default_field: str | None = None) -> None:
        """Show a domain error against its field, and drop anything half-done."""
        db.session.rollback()
        name = error.field or default_field
        field = getattr(self, name, None) if name else None
        if field is None:
            field = next(iter(f for f in self if f.type not in ("CSRFTokenField",)))
        field.errors = [*field.errors, error.message]


class PseudonymousForm(AppForm):
    """A form about a child's case: no text field may hold what could identify the
    child. Saving is blocked, with the reason, until it is removed."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            # Hidden fields carry what the app put there (the CSRF token is random text
            # that can look like a postcode), not what a person typed.
            if not isinstance(field, StringField) or isinstance(field, HiddenField):
                continue
            if not field.data:
                continue
            findings = find_identifiers(field.data)
            if findings:
                field.errors = [*field.errors, findings[0].message(field.label.text)]
                valid = False
        return valid


# Typed text is checked with DataRequired, after whitespace is stripped: InputRequired
# looks at the raw input, so a field of only spaces would pass and be saved empty.


def text_field(label: str, *, required: str | None, max_length: int = 200, hint: str = ""):
    validators = [DataRequired(message=required)] if required else [Optional()]
    validators.append(
        Length(max=max_length, message=f"{label} must be {max_length} characters or fewer")
    )
    return StringField(label, validators=validators, widget=GovTextInput(), description=hint)


def long_text_field(label: str, *, required: str | None, max_length: int = 20_000, hint: str = ""):
    validators = [DataRequired(message=required)] if required else [Optional()]
    validators.append(
        Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer")
    )
    return StringField(label, validators=validators, widget=GovCharacterCount(), description=hint)


def email_field(label: str = "Email address", *, hint: str = ""):
    return StringField(
        label,
        validators=[
            DataRequired(message="Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.org"),
        ],
        widget=GovTextInput(),
        description=hint,
    )


def password_field(label: str, *, required: str):
    return PasswordField(
        label, validators=[InputRequired(message=required)], widget=GovPasswordInput()
    )


def radio_field(label: str, *, choices, required: str, hint: str = ""):
    return RadioField(
        label,
        choices=choices,
        validators=[InputRequired(message=required)],
        widget=GovRadioInput(),
        description=hint,
    )


def select_field(label: str, *, choices=(), required: str | None, coerce=str, hint: str = ""):
    validators = [InputRequired(message=required)] if required else [Optional()]
    return SelectField(
        label,
        choices=choices,
        coerce=coerce,
        validators=validators,
        widget=GovSelect(),
        description=hint,
        validate_choice=True,
    )


def submit(label: str):
    return SubmitField(label, widget=GovSubmitInput())


class GovDateField(DateField):
    """A GOV.UK date input (day, month, year) with Design System error messages.

    All three boxes empty is no date; part of a date, or an impossible one, is an error
    that keeps what was typed on the page.
    """

    def __init__(self, label: str, *, required: str | None = None, hint: str = "", **kwargs):
        # No Optional()/InputRequired(): both look only at the day box, and both clear
        # the errors process_formdata found. The required check is in pre_validate.
        self.required_message = required
        super().__init__(
            label,
            validators=[],
            format="%d %m %Y",
            widget=GovDateInput(),
            description=hint,
            **kwargs,
        )

    def process_formdata(self, valuelist):
        if valuelist:
            # A browser sends the three boxes. A hand-made request may send more or fewer:
            # read it as three too, so the page can show them again with an error instead
            # of failing to draw the date input.
            valuelist = [*valuelist[:3], "", "", ""][:3]
            self.raw_data = valuelist
        if not valuelist or all(not part.strip() for part in valuelist):
            self.data = None
            self.raw_data = valuelist or None
            return
        parts = [part.strip() for part in valuelist]
        if not all(parts):
            missing = [n for n, p in zip(("day", "month", "year"), parts, strict=True) if not p]
            self.data = None
            raise ValueError(f"{self.label.text} must include a {' and '.join(missing)}")
        try:
            day, month, year = (int(part) for part in parts)
            if year < 1000:
                raise ValueError
            self.data = date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date") from None

    def pre_validate(self, form):
        if self.required_message and self.data is None and not self.process_errors:
            raise StopValidation(self.required_message)
