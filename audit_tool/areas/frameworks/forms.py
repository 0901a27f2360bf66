from __future__ import annotations

from wtforms.fields.choices import SelectChoice

from ...forms import AppForm, long_text_field, radio_field, submit, text_field
from ...frameworks.format import MAX_TEXT_LENGTH, TITLE_LENGTH
from ...models import Criterion

YES, NO = "yes", "no"
YES_NO = [SelectChoice(YES, "Yes"), SelectChoice(NO, "No")]


class CriterionForm(AppForm):
    title = text_field("Title", required="Enter the criterion title", max_length=TITLE_LENGTH)
    wording = long_text_field(
        "Wording",
        required="Enter the criterion wording",
        max_length=MAX_TEXT_LENGTH,
        hint="What the agency must have in place, as agencies will see it",
    )
    guidance = long_text_field(
        "Guidance",
        required=None,
        max_length=MAX_TEXT_LENGTH,
        hint="Optional. Evidence that would show the criterion is met.",
    )
    essential = radio_field(
        "Is this criterion essential?",
        choices=YES_NO,
        required="Select yes if this criterion is essential",
        hint="Every agency is expected to meet essential criteria in full",
    )
    allow_na = radio_field(
        "Can agencies mark this criterion as not applicable?",
        choices=YES_NO,
        required="Select yes if agencies can mark this criterion as not applicable",
        hint="Only where some agencies may have no arrangements of this kind to assess",
    )
    submit = submit("Save criterion")

    @classmethod
    def for_criterion(cls, criterion: Criterion) -> CriterionForm:
        return cls(
            data={
                "title": criterion.title,
                "wording": criterion.wording,
                "guidance": criterion.guidance,
                "essential": YES if criterion.essential else NO,
                "allow_na": YES if criterion.allow_na else NO,
            }
        )
