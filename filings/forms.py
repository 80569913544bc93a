"""Forms of the enterprise filing pages.

The forms only parse input: the business rules (required fields, USCC, customs code, mobile,
role-specific fields) are checked by ``services.enterprise_filing_save_draft``, whose errors the
view puts back on these fields, so that every error of an application shows at once.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zone_portal.core.errors import ApplicationError
from zone_portal.portal.models import Park

from .attachments import check_upload
from .models import EnterpriseRole, FilingAttachment
from .services import EDITABLE_FIELDS


class EnterpriseFilingForm(forms.Form):
    """The filing application (企业备案申请) with one optional attachment upload."""

    roles = forms.MultipleChoiceField(label=_("Roles applied for"), choices=EnterpriseRole.choices,
                                      widget=forms.CheckboxSelectMultiple, required=False)
    uscc = forms.CharField(label=_("Unified social credit code"), required=False, disabled=True,
                           help_text=_("The code your enterprise registered with; it cannot be changed here."))
    customs_code = forms.CharField(label=_("Customs registration code"), max_length=10, required=False,
                                   help_text=_("10 characters, if your enterprise has one."))
    name = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100, required=False)
    registered_address = forms.CharField(label=_("Registered address"), max_length=300, required=False)
    operating_address = forms.CharField(label=_("Operating address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_mobile = forms.CharField(label=_("Contact mobile"), max_length=20, required=False)
    contact_email = forms.CharField(label=_("Contact email"), max_length=254, required=False,
                                    widget=forms.EmailInput)
    business_scope = forms.CharField(label=_("Business scope"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    park = forms.ModelChoiceField(label=_("Park"), queryset=Park.objects.none(), required=False,
                                  empty_label=_("Not in a park"))
    bank_name = forms.CharField(label=_("Bank for forex receipts"), max_length=200, required=False)
    bank_account = forms.CharField(label=_("Bank account for forex receipts"), max_length=64, required=False)
    handles_foreign_currency = forms.BooleanField(label=_("The enterprise receives or pays foreign currency"),
                                                  required=False)
    operates_overseas_warehouse = forms.BooleanField(
        label=_("The enterprise operates an overseas warehouse (9810)"), required=False)
    payment_licence_no = forms.CharField(label=_("Payment business licence number"), max_length=50, required=False,
                                         help_text=_("Required for a payment enterprise."))
    express_permit_no = forms.CharField(label=_("Express business permit number"), max_length=50, required=False,
                                        help_text=_("Required for a logistics enterprise."))
    platform_domain = forms.CharField(label=_("Platform domain"), max_length=200, required=False,
                                      help_text=_("An e-commerce platform gives its domain or its app name."))
    platform_app_name = forms.CharField(label=_("Platform app name"), max_length=100, required=False)
    attachment_kind = forms.ChoiceField(label=_("Kind of document"), required=False,
                                        choices=[("", "---------"), *FilingAttachment.Kind.choices])
    attachment_file = forms.FileField(label=_("Document"), required=False,
                                      help_text=_("PDF, JPEG or PNG, at most 10 MB."),
                                      widget=forms.ClearableFileInput(
                                          attrs={"accept": "application/pdf,image/jpeg,image/png"}))

    def __init__(self, *args, fields_to_fix=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["park"].queryset = Park.objects.filter(is_active=True).order_by("code")
        self.fields_to_fix = [name for name in fields_to_fix if name in self.fields]
        for name in self.fields_to_fix:
            field = self.fields[name]
            field.widget.attrs["class"] = (field.widget.attrs.get("class", "") + " border-warning zp-fix").strip()
            note = _("A department returned this field for correction.")
            field.help_text = f"{field.help_text} {note}".strip() if field.help_text else note

    def clean(self):
        data = super().clean()
        upload = data.get("attachment_file")
        if upload:
            try:
                data["attachment_content_type"] = check_upload(upload)[0]
            except ApplicationError as exc:
                self.add_error("attachment_file", str(exc.message))
            if not data.get("attachment_kind"):
                self.add_error("attachment_kind", _("Choose the kind of document."))
        return data

    def filing_data(self) -> dict:
        """The cleaned values the save-draft service takes (everything but the attachment)."""
        return {name: self.cleaned_data.get(name) for name in EDITABLE_FIELDS if name != "uscc"}


class RevokeForm(forms.Form):
    """The enterprise administrator's revocation (注销) of a filed filing, with confirmation."""

    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("I understand that the enterprise will no longer be filed."),
                                 required=True, error_messages={"required": _("Tick the box to confirm.")})


def clean_field_name(name: str) -> str:
    """A service field name as the form's field name (``park_id`` → ``park``)."""
    return "park" if name == "park_id" else name

