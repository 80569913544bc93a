"""Forms of the enterprise webhook pages. They only parse input: the rules (HTTPS, public
address, known event types) are the services', whose errors the views put back on the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WebhookDelivery
from .types import type_choices


class WebhookEndpointForm(forms.Form):
    """URL, description and event types of a webhook endpoint."""

    url = forms.CharField(label=_("URL"), max_length=500,
                          help_text=_("The HTTPS address of your system that receives the events."),
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(label=_("Event types"), choices=type_choices,
                                            widget=forms.CheckboxSelectMultiple)


class DisableForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *WebhookDelivery.Status.choices],
                               widget=forms.Select(attrs={"class": "form-select form-select-sm",
                                                          "aria-label": _("Status")}))
