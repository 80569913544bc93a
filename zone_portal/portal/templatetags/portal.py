"""Template helpers of the portal pages: Bootstrap classes, alert colours, localized names."""

from __future__ import annotations

from django import forms, template
from django.contrib import messages
from django.utils.translation import get_language

register = template.Library()


def _bootstrap_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.filter
def widget_kind(bound_field) -> str:
    """``check`` for check boxes and radios (rendered after their label), ``input`` otherwise."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "check"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "choices"
    return "input"


@register.filter
def bootstrap(bound_field, extra_classes: str = ""):
    """Render the field's widget with Bootstrap's class, ``is-invalid`` when it has errors.

    Classes already set on the widget are kept.
    """
    widget = bound_field.field.widget
    classes = [widget.attrs.get("class", ""), _bootstrap_class(widget), extra_classes]
    if bound_field.errors:
        classes.append("is-invalid")
    # Django adds aria-invalid and aria-describedby (``<id>_helptext``, ``<id>_error``) itself
    return bound_field.as_widget(attrs={"class": " ".join(c for c in classes if c)})


@register.filter
def check_choices(bound_field):
    """The check boxes or radios of a multiple-choice field, each with ``form-check-input``.

    Render each as ``{{ choice.tag }}`` with its own ``<label for="{{ choice.id_for_label }}">``.
    """
    extra = "form-check-input is-invalid" if bound_field.errors else "form-check-input"
    choices = bound_field.subwidgets
    for choice in choices:
        attrs = choice.data.setdefault("attrs", {})
        if "form-check-input" not in attrs.get("class", ""):
            attrs["class"] = f"{attrs.get('class', '')} {extra}".strip()
    return choices


@register.filter
def elided_pages(page):
    """Page numbers around the current page, with ``…`` (``Paginator.ELLIPSIS``) for the gaps."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


_ALERT_CLASSES = {
    messages.DEBUG: "secondary",
    messages.INFO: "info",
    messages.SUCCESS: "success",
    messages.WARNING: "warning",
    messages.ERROR: "danger",
}


@register.filter
def alert_class(message) -> str:
    """Bootstrap's alert colour for a message of the messages framework."""
    return _ALERT_CLASSES.get(message.level, "info")


@register.filter
def localized_name(organization) -> str:
    """The organization's English name on English pages when it has one, its Chinese name otherwise."""
    if organization is None:
        return ""
    language = get_language() or ""
    if language.startswith("en") and organization.name_en:
        return organization.name_en
    return organization.name
