"""The application's steps (docs/design.md section 3): one form per step, each question in plain
words with the policy clause it serves. The forms only parse; application.services.save_answers
saves. Over 450 lines on purpose: the steps in the order a requestor meets them, in one place
to check against the policy's questions."""

from dataclasses import dataclass

from django import forms
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat

from requests_app import policy
from requests_app.application.uploads import (
    ACCEPTED,
    MAX_ATTACHMENT_BYTES,
    examine,
)
from requests_app.core.forms import choose_among
from requests_app.core.states import AccessLevel
from requests_app.models import CAN, AccessRequest, Organization

YES_NO = [("True", "Yes"), ("False", "No")]


def yes_no(label, help_text=""):
    """A yes-or-no question that may stay unanswered in a draft."""
    return forms.NullBooleanField(
        label=label, help_text=help_text, required=False, widget=forms.RadioSelect(choices=YES_NO)
    )


def text(label, help_text="", max_length=4000, rows=4):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class OrganizationStepForm(forms.ModelForm):
    website = forms.URLField(
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text="For example www.example.org.",
    )

    class Meta:
        model = Organization
        fields = ["kind", "address", "website", "funded_for_homeless_services"]
        labels = {"kind": "Type of organization"}
        widgets = {"address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"})}
        help_texts = {
            "address": "Where the MOU is sent: street, town, ZIP code.",
            "funded_for_homeless_services": "Tick if federal or state funds pay your organization "
            "to provide homeless services. This application is for organizations that are not.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False
        self.fields["kind"].choices = [("", "Choose one"), *Organization.Kind.choices]

    def answers(self):
        return {}

    def organization(self):
        return self.cleaned_data


phone = RegexValidator(
    r"^[0-9+().\- ]*(?:(?:ext|x)\.? ?[0-9]+)?$",
    "Enter a phone number with digits, spaces, brackets or dashes, for example 860-555-0142.",
)


class ProgramStepForm(forms.Form):
    program = forms.CharField(
        label="Program or department that will use HMIS",
        help_text="Policy 3.3. For example: Medical respite program, or Population health unit.",
        required=False,
        max_length=200,
    )
    contact_name = forms.CharField(
        label="Contact person for this request",
        help_text="CCEH staff write to this person with questions.",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_email = forms.EmailField(
        label="Contact e-mail address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label="Contact phone (optional)",
        required=False,
        max_length=40,
        validators=[phone],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def answers(self):
        return dict(self.cleaned_data)


LEVEL_EXPLAINED = {
    AccessLevel.FULL: "Full access: enter and change client records, and see them.",
    AccessLevel.VIEW: "View only: see client records, without changing them.",
    AccessLevel.REPORTING: "Reporting only: run reports on aggregate numbers, with no client "
    "records.",
}


class PersonForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Full name", max_length=150)
    title = forms.CharField(label="Job title", max_length=150, required=False)
    email = forms.EmailField(label="E-mail address", max_length=254)
    requested_level = forms.ChoiceField(
        label="Access level asked for",
        choices=[(level, LEVEL_EXPLAINED[level]) for level in AccessLevel],
        widget=forms.RadioSelect,
        help_text="Policy 1.6: ask for the least access the work needs.",
    )


class BasePeopleFormSet(forms.BaseFormSet):
    # The ids of the people saved on the request when the form was built: a row may only
    # carry one of these (people_formset sets them).
    known_ids = None

    def clean(self):
        self._forget_unknown_ids()
        if any(self.errors):
            return
        seen = {}
        for form in self.forms:
            # A saved person left as they were still holds their e-mail; only empty new rows
            # and removed people are left out.
            blank = not form.has_changed() and not form.cleaned_data.get("id")
            if blank or self._should_delete_form(form):
                continue
            email = form.cleaned_data.get("email", "").lower()
            if email in seen:
                form.add_error(
                    "email",
                    f"{seen[email]} is already named with {email}. Name each person once.",
                )
            seen[email] = form.cleaned_data.get("name", email)

    def _forget_unknown_ids(self):
        """A row naming a person who is no longer on the request (a colleague removed them, or
        the page was tampered with) is refused once, and its id cleared on the page shown
        again, so saving again names the person as typed."""
        if self.known_ids is None:
            return
        for form in self.forms:
            pk = form.cleaned_data.get("id") if hasattr(form, "cleaned_data") else None
            if pk is not None and pk not in self.known_ids:
                form.add_error(
                    "name",
                    "This person is no longer on the request: a colleague may have removed "
                    "them. Check the row, then save again to name them again.",
                )
                self.data[f"{form.prefix}-id"] = ""

    def people(self):
        rows = []
        for form in self.forms:
            if not form.has_changed() and not form.cleaned_data.get("id"):
                continue
            row = dict(form.cleaned_data)
            row["delete"] = self._should_delete_form(form)
            rows.append(row)
        return rows


PeopleFormSet = forms.formset_factory(
    PersonForm, formset=BasePeopleFormSet, extra=0, can_delete=True, max_num=50, validate_max=True
)


def people_formset(access_request, data=None, add=False):
    initial = [
        {
            "id": p.pk,
            "name": p.name,
            "title": p.title,
            "email": p.email,
            "requested_level": p.requested_level,
        }
        for p in access_request.people.all()
    ]
    if data is not None:
        # Mutable, so a row's unknown id can be cleared on the page shown again.
        data = data.copy()
    formset = PeopleFormSet(data, initial=initial, prefix="people")
    formset.known_ids = frozenset(row["id"] for row in initial)
    if data is None and (add or not initial):
        # An empty row to fill: the first person, or one more after "Add another person".
        formset.extra = 1
    for form in formset.forms:
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this person from the request"
    return formset


class ScopeStepForm(forms.Form):
    STATEWIDE, SOME_CANS = "statewide", "cans"

    scope = forms.ChoiceField(
        label="Where will you use HMIS data?",
        help_text="Policy 1.5 and 4.2: the leadership of each CAN you name takes part in the "
        "decision.",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (STATEWIDE, "Statewide: all of Connecticut"),
            (SOME_CANS, "In one or more Coordinated Access Networks (CANs)"),
        ],
    )
    cans = forms.ModelMultipleChoiceField(
        label="The CANs",
        help_text="Only if you chose CANs above.",
        required=False,
        queryset=CAN.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = text(
        "What is the purpose of the request?",
        "Policy 3.1. What you will do with HMIS, and for whom.",
    )
    contribution = text(
        "How will access help end homelessness?",
        "Policy 3.2 and 1.8. For example: connecting patients who are homeless to housing.",
    )
    existing_reporting_gap = text(
        "Why do the existing reports not meet your need?",
        "Policy 1.1. CCEH already publishes data on CTCANDATA.org and makes custom data pulls "
        "and reports. Say what they cannot give you.",
    )

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.SOME_CANS and not data.get("cans"):
            self.add_error("cans", "Choose at least one CAN, or choose statewide above.")
        if data.get("cans") and data.get("scope") != self.SOME_CANS:
            self.add_error(
                "scope",
                "You ticked CANs: choose \u201cIn one or more CANs\u201d, or untick them for "
                "statewide.",
            )
        return data

    @classmethod
    def initial_for(cls, r):
        scope = cls.STATEWIDE if r.statewide else (cls.SOME_CANS if r.cans.exists() else "")
        return {
            "scope": scope,
            "cans": list(r.cans.all()),
            "purpose": r.purpose,
            "contribution": r.contribution,
            "existing_reporting_gap": r.existing_reporting_gap,
        }

    def answers(self):
        data = self.cleaned_data
        statewide = data["scope"] == self.STATEWIDE
        return {
            "statewide": statewide,
            "cans": [] if statewide else list(data["cans"]),
            "purpose": data["purpose"],
            "contribution": data["contribution"],
            "existing_reporting_gap": data["existing_reporting_gap"],
        }


class EligibilityStepForm(forms.Form):
    need_type = forms.ChoiceField(
        label="Is your need ongoing, or one time only?",
        help_text="Policy 1.2. HMIS access is for ongoing needs; a one-time need is better met "
        "by a custom report (2.1).",
        required=False,
        widget=forms.RadioSelect,
        choices=AccessRequest.NeedType.choices,
    )
    usage_frequency = forms.CharField(
        label="How often will you use the data?",
        help_text="Policy 1.2. For example: daily, weekly, monthly.",
        required=False,
        max_length=200,
    )
    funding_relation = text(
        "Which funding requirement, or which homeless services provider, is the request for?",
        "Policy 1.3. For example: a HUD grant that requires HMIS reporting, or the shelter you "
        "work with.",
    )
    homeless_relationship = text(
        "How does your organization work with people experiencing homelessness?",
        "Policy 1.4.",
    )
    had_prior_access = yes_no(
        "Has your organization had HMIS access before?", "Policy 1.10: good standing."
    )
    prior_access_details = text("If yes: when, and for which program?", max_length=2000, rows=3)
    prior_access_revoked = yes_no("If yes: was that access ever revoked?")

    def answers(self):
        return dict(self.cleaned_data)


class ResearchStepForm(forms.Form):
    is_researcher = yes_no(
        "Are you asking as a researcher?",
        "Policy 1.9. For example a university study, or an evaluation for a funder.",
    )
    aggregated_data_sufficient = yes_no(
        "If yes: would aggregated, de-identified data serve your research?",
        "Numbers and rates with no names or identifiers. The policy expects this unless "
        "identified data is truly needed.",
    )
    identified_data_justification = text(
        "If not: why do you need identified data?",
        "For example: matching HMIS records to hospital records. Attach your IRB approval below.",
    )

    def answers(self):
        return dict(self.cleaned_data)


class AttestationsStepForm(forms.Form):
    attests_training = forms.BooleanField(
        label="Every person named on this request will complete HMIS training before using HMIS.",
        help_text="Policy 1.7. CCEH records each person's training; access starts after it.",
        required=False,
    )
    attests_accuracy = forms.BooleanField(
        label="The answers in this application are accurate, to the best of my knowledge.",
        required=False,
    )

    def answers(self):
        return dict(self.cleaned_data)


# Attachments: checked by what the file is, not what it is called (uploads.py says how).


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Add a supporting document (optional)",
        help_text=f"For example an IRB approval or a funding letter. {ACCEPTED}, at most "
        f"{filesizeformat(MAX_ATTACHMENT_BYTES)}.",
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx,application/pdf,image/png,image/jpeg"}
        ),
    )
    description = forms.CharField(
        label="What the document is (optional)",
        required=False,
        max_length=200,
        help_text="For example: IRB approval, 2026.",
    )
    # Cleans to the Attachment rows chosen, of this request only.
    remove = forms.TypedMultipleChoiceField(
        label="Remove attached files",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, attachments=(), **kwargs):
        super().__init__(*args, **kwargs)
        choose_among(self.fields["remove"], attachments, lambda a: f"Remove {a.original_name}")
        if not attachments:
            del self.fields["remove"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(
                f"{upload.name} is {filesizeformat(upload.size)}; files can be at most "
                f"{filesizeformat(MAX_ATTACHMENT_BYTES)}. Your answers are kept; choose a "
                "smaller file."
            )
        # The size first: nothing below reads a file larger than the limit.
        self.content_type, refusal = examine(upload)
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return upload


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    intro: str
    form_class: type | None = None


STEPS = [
    Step(
        "organization",
        "Your organization",
        "The organization that will sign the MOU with CCEH. Its legal name was set when it was "
        "registered here.",
        OrganizationStepForm,
    ),
    Step(
        "people",
        "Program and people",
        "Who will use HMIS, and the access each person needs (policy 3.3 and 1.6). Every "
        "person needs their own account: accounts are never shared.",
        ProgramStepForm,
    ),
    Step(
        "scope",
        "Scope and purpose",
        "Where and why you need HMIS data (policy 3.1, 3.2, 1.1, 1.5).",
        ScopeStepForm,
    ),
    Step(
        "eligibility",
        "Eligibility",
        "The policy's core criteria: an ongoing need, tied to homeless services, by an "
        "organization in good standing (policy 1.2, 1.3, 1.4, 1.10).",
        EligibilityStepForm,
    ),
    Step(
        "research",
        "Research and documents",
        "Researchers use aggregated, de-identified data unless they show why identified data "
        "is needed (policy 1.9). Attach any supporting documents here.",
        ResearchStepForm,
    ),
    Step(
        "attestations",
        "Attestations",
        "Two promises your organization makes by submitting (policy 1.7).",
        AttestationsStepForm,
    ),
    Step("review", "Review and submit", "Check every answer before you submit."),
]
STEP_BY_SLUG = {step.slug: step for step in STEPS}
# The steps ask the sections that policy.missing_answers checks, in the same order.
assert tuple(s.slug for s in STEPS[:-1]) == policy.SECTIONS


def step_form(step, access_request, data=None):
    """The step's form, bound to `data` when posted, else showing the saved answers."""
    r = access_request
    if step.form_class is OrganizationStepForm:
        return OrganizationStepForm(data, instance=r.organization)
    if step.form_class is ScopeStepForm:
        return ScopeStepForm(data, initial=ScopeStepForm.initial_for(r))
    initial = {name: getattr(r, name) for name in step.form_class.base_fields}
    return step.form_class(data, initial=initial)


class ResubmitForm(forms.Form):
    response = forms.CharField(
        label="Your answer to CCEH's question",
        help_text="Staff read this first. Say what you changed in the application, if anything.",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing it? (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StartForm(forms.Form):
    organization = forms.ModelChoiceField(
        label="For which organization?",
        queryset=Organization.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        if len(organizations) == 1:
            self.fields["organization"].initial = organizations[0]
