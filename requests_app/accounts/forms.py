"""Signing up, setting up or joining an organization, and proposing or declining its roles."""

from django import forms

from requests_app.core.forms import long_text
from requests_app.models import (
    Membership,
    Organization,
    RoleProposal,
    User,
)


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    def signup(self, request, user):
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])


class OrganizationForm(forms.ModelForm):
    # A website typed without a scheme is taken as https, as Django 6 will do by default.
    website = forms.URLField(max_length=200, required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = ["name", "kind", "address", "website", "funded_for_homeless_services"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": "As it appears on legal documents; the MOU is made with this name.",
            "funded_for_homeless_services": "Tick if federal or state funds pay the organization "
            "to provide homeless services.",
        }


class JoinOrganizationForm(forms.Form):
    """Joining by the organization's exact name: the list of organizations that applied for
    HMIS access is not for everyone who signs up to browse."""

    name = forms.CharField(
        label="The organization's legal name",
        max_length=200,
        help_text="Exactly as your colleague set it up. One of its members accepts you before "
        "you see its requests.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        organization = Organization.objects.filter(
            name__iexact=self.cleaned_data["name"].strip()
        ).first()
        if organization is None:
            raise forms.ValidationError(
                "No organization by that name is set up here. Check the exact name with your "
                "colleague, or set the organization up yourself."
            )
        if Membership.objects.filter(user=self.user, organization=organization).exists():
            raise forms.ValidationError(
                "You have already joined or asked to join this organization."
            )
        self.organization = organization
        return organization.name


class ProposeRoleForm(forms.Form):
    """A member proposes one of the organization's active members for one of its roles."""

    role = forms.ChoiceField(
        label="Role", choices=RoleProposal.Role.choices, widget=forms.RadioSelect
    )
    # An address, not a list of every member: the page stays the same size however many
    # members the organization has.
    email = forms.EmailField(
        label="Their e-mail address",
        help_text="As the members list shows it: only an active member can hold a role.",
    )
    title = forms.CharField(label="Their title", max_length=150)

    def __init__(self, *args, organization, **kwargs):
        kwargs.setdefault("prefix", f"role-{organization.pk}")
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        self.person = User.objects.members_of(self.organization).filter(email=email).first()
        if self.person is None:
            raise forms.ValidationError(
                f"Nobody with this e-mail address is an active member of {self.organization.name}."
            )
        return email


class DeclineRoleForm(forms.Form):
    reason = long_text("Why you decline", help_text="The organization reads it.")

    def __init__(self, *args, proposal, **kwargs):
        kwargs.setdefault("prefix", f"decline-{proposal.pk}")
        super().__init__(*args, **kwargs)
        self.proposal_pk = proposal.pk
