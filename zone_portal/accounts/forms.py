"""Forms of the accounts pages. They validate input; services do the work."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from . import scopes as scope_registry
from .models import Organization, User
from .validators import validate_mobile, validate_uscc


class RegistrationForm(forms.Form):
    """Enterprise self-registration: the enterprise and its first administrator."""

    organization_name = forms.CharField(label=_("Enterprise name (Chinese)"), max_length=200)
    organization_name_en = forms.CharField(label=_("Enterprise name (English)"), max_length=200,
                                           required=False)
    uscc = forms.CharField(
        label=_("Unified social credit code"), max_length=18, min_length=18,
        help_text=_("18 characters, as printed on the business licence."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    mobile = forms.CharField(label=_("Mobile"), max_length=11)
    email = forms.EmailField(label=_("Email"))
    username = forms.RegexField(
        label=_("User name"), max_length=64, regex=r"^[A-Za-z0-9_.@+-]{3,64}$",
        help_text=_("3–64 letters, digits or _ . @ + -"),
        error_messages={"invalid": _("Use 3–64 letters, digits or _ . @ + -")},
    )
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False,
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean_uscc(self) -> str:
        value = self.cleaned_data["uscc"].strip().upper()
        validate_uscc(value)
        if Organization.objects.filter(uscc=value).exists():
            raise forms.ValidationError(
                _("An enterprise with this unified social credit code is already registered. Ask its "
                  "administrator for an account, or contact the zone office if you believe this is wrong."),
                code="uscc_taken",
            )
        return value

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"].strip()
        validate_mobile(value)
        return value

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=value).exists():
            raise forms.ValidationError(_("This user name is taken; please choose another."),
                                        code="username_taken")
        return value

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", forms.ValidationError(_("The two passwords differ."),
                                                              code="password_mismatch"))
        elif p1:
            probe = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ApiClientForm(forms.Form):
    """Name and scopes of an API client."""

    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Which system will use it, e.g. “order system, production”."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=scope_registry.scope_choices,
        help_text=_("Which document kinds this client may submit (write) and read."),
    )


class ApiClientScopesForm(forms.Form):
    scopes = forms.MultipleChoiceField(label=_("Scopes"), required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       choices=scope_registry.scope_choices)


class ApiClientRevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
