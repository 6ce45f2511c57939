from django import forms

from .models import Membership, Organization


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    def signup(self, request, user):
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])


class OrganizationForm(forms.ModelForm):
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
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(),
        help_text="A member of the organization accepts you before you see its requests.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_organization(self):
        organization = self.cleaned_data["organization"]
        if Membership.objects.filter(user=self.user, organization=organization).exists():
            raise forms.ValidationError(
                "You have already joined or asked to join this organization."
            )
        return organization
