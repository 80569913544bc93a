"""The form-field include: Bootstrap classes, help text and errors wired for screen readers."""

from django import forms
from django.template import Context, Template
from django.utils import translation


class SampleForm(forms.Form):
    name = forms.CharField(label="Name", help_text="As on the business licence.")
    kind = forms.ChoiceField(label="Kind", choices=[("a", "A"), ("b", "B")])
    scopes = forms.MultipleChoiceField(label="Scopes", choices=[("r", "Read"), ("w", "Write")],
                                       widget=forms.CheckboxSelectMultiple)
    agree = forms.BooleanField(label="I agree")


def _render(form, field):
    with translation.override("en"):
        return Template('{% include "includes/form_field.html" %}').render(Context({"field": form[field]}))


def test_text_input_gets_form_control_label_and_help_text():
    html = _render(SampleForm(), "name")
    assert '<label class="form-label" for="id_name">Name' in html
    assert 'class="form-control"' in html
    assert 'aria-describedby="id_name_helptext"' in html
    assert '<div class="form-text" id="id_name_helptext">As on the business licence.</div>' in html
    assert "is-invalid" not in html


def test_field_with_an_error_is_marked_invalid_and_shows_the_error():
    html = _render(SampleForm(data={}), "name")
    assert 'class="form-control is-invalid"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_name_error"' in html
    assert "This field is required." in html


def test_select_gets_form_select():
    assert 'class="form-select"' in _render(SampleForm(), "kind")


def test_check_boxes_get_form_check_markup_with_their_own_labels():
    html = _render(SampleForm(data={"scopes": ["x"]}), "scopes")
    assert html.count('class="form-check-input is-invalid"') == 2
    assert '<label class="form-check-label" for="id_scopes_0">Read</label>' in html
    assert "<legend" in html
    assert 'id="id_scopes_error"' in html


def test_single_check_box_has_its_label_after_it():
    html = _render(SampleForm(), "agree")
    assert html.index('type="checkbox"') < html.index('<label class="form-check-label" for="id_agree">')
    assert 'class="form-check-input"' in html


def test_messages_render_as_dismissible_bootstrap_alerts_by_level():
    from django.contrib import messages
    from django.contrib.messages.storage.base import Message

    queued = [Message(messages.ERROR, "Filing rejected"), Message(messages.SUCCESS, "Filing saved")]
    with translation.override("en"):
        html = Template('{% include "includes/messages.html" %}').render(Context({"messages": queued}))
    assert 'class="alert alert-danger alert-dismissible fade show"' in html
    assert 'class="alert alert-success alert-dismissible fade show"' in html
    assert html.index("Filing rejected") < html.index("Filing saved")
    assert html.count('data-bs-dismiss="alert"') == 2
