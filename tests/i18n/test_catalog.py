"""The Simplified Chinese catalog: complete, well-formed, and compiled from its current .po.

The default language is zh-hans and every user-facing msgid is English, so an entry left empty or
fuzzy shows English on a Chinese page, a lost placeholder raises or prints the wrong value, and a
stale .mo serves yesterday's wording.
"""

from __future__ import annotations

import re
from collections import Counter

from django.utils import translation

from tests.i18n.catalog import CATALOG, Entry, header, messages, parse

ENTRIES = parse(CATALOG)
MESSAGES = messages(ENTRIES)

PYTHON_FORMAT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
BRACE_FIELD = re.compile(r"(?<!\{)\{[A-Za-z_]\w*\}(?!\})")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
CJK = re.compile(r"[\u3400-\u9fff]")


def _label(entry: Entry) -> str:
    return f"{entry.msgid!r} ({', '.join(entry.references[:2]) or 'no reference'})"


def _source(entry: Entry) -> str:
    """The msgid whose placeholders each translation must keep (the plural one when there is one)."""
    return entry.msgid_plural if entry.msgid_plural is not None else entry.msgid


def test_the_catalog_has_hundreds_of_messages():
    assert len(MESSAGES) > 400  # the whole portal, not a sample


def test_the_header_declares_simplified_chinese_utf8_and_one_plural_form():
    fields = header(ENTRIES)
    assert fields["Language"] == "zh_Hans"
    assert "charset=UTF-8" in fields["Content-Type"]
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    head = next(e for e in ENTRIES if e.is_header)
    assert not head.fuzzy, "a fuzzy header makes msgfmt skip the whole catalog's metadata"


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [_label(e) for e in MESSAGES if e.untranslated]
    fuzzy = [_label(e) for e in MESSAGES if e.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (msgmerge guessed; check and remove the flag): {fuzzy[:20]}"


def test_plural_messages_have_exactly_the_one_chinese_form():
    plurals = [e for e in MESSAGES if e.msgid_plural is not None]
    assert plurals, "the catalog has ngettext messages (password rules, CSV import errors)"
    wrong = [_label(e) for e in plurals if sorted(e.msgstr_plural) != [0]]
    assert not wrong, f"Chinese has one plural form (msgstr[0] only): {wrong}"


def test_every_translation_is_chinese():
    """A msgstr copied from its English msgid passes the 'translated' check but shows English."""
    english = [_label(e) for e in MESSAGES for text in e.translations if not CJK.search(text)]
    assert not english, f"translations without any Chinese character: {english}"


def placeholder_problem(source: str, text: str) -> str | None:
    """What ``text`` did to the %-placeholders of ``source``, or None if it kept them all."""
    expected = [m.group(0) for m in PYTHON_FORMAT.finditer(source)]
    got = [m.group(0) for m in PYTHON_FORMAT.finditer(text)]
    if Counter(got) != Counter(expected):
        return f"{sorted(expected)} became {sorted(got)}"
    positional = [s for s in expected if s != "%%" and not s.startswith("%(")]
    if positional != [s for s in got if s != "%%" and not s.startswith("%(")]:
        return "positional placeholders must keep their order (use named ones to reorder)"
    return None


def test_python_format_placeholders_are_kept():
    formatted = [e for e in MESSAGES if "python-format" in e.flags]
    assert len(formatted) > 30
    broken = [
        f"{_label(entry)}: {problem}"
        for entry in formatted
        for text in entry.translations
        if (problem := placeholder_problem(_source(entry), text))
    ]
    assert not broken, "\n".join(broken)


def test_the_placeholder_check_catches_lost_and_reordered_placeholders():
    """The check above is only worth something if it fails on a real mistake."""
    assert placeholder_problem("Duplicate of row %(row)d.", "与第 %(row)d 行重复。") is None
    assert placeholder_problem("Duplicate of row %(row)d.", "重复行。")
    assert placeholder_problem("Duplicate of row %(row)d.", "与第 %(row)s 行重复。")
    assert placeholder_problem("not a rate (e.g. 13%%)", "不是税率（如 13%）")
    assert placeholder_problem("%s of %s", "%s 中的 %s") is None
    assert placeholder_problem("%d of %s", "%s 中的 %d")


def test_brace_fields_and_template_markup_are_kept():
    broken = []
    for entry in MESSAGES:
        fields = Counter(BRACE_FIELD.findall(_source(entry)))
        from_templates = entry.references and all(
            ref.split(":")[0].endswith((".html", ".txt")) for ref in entry.references
        )
        tags = Counter(HTML_TAG.findall(_source(entry))) if from_templates else Counter()
        for text in entry.translations:
            if Counter(BRACE_FIELD.findall(text)) != fields:
                broken.append(f"{_label(entry)}: fields {sorted(fields)}")
            if from_templates and Counter(HTML_TAG.findall(text)) != tags:
                broken.append(f"{_label(entry)}: markup {sorted(tags)}")
    assert not broken, "\n".join(broken)


def test_the_compiled_catalog_serves_every_translation_of_the_po():
    """Each msgid of the .po comes back through Django's gettext with its msgstr: the committed .mo
    was compiled from this .po (run ``manage.py compilemessages --ignore=.venv`` after editing)."""
    stale = []
    with translation.override("zh-hans"):
        for entry in MESSAGES:
            if entry.msgid_plural is not None:
                for n in (1, 2, 5):
                    if entry.msgctxt is not None:
                        got = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                    else:
                        got = translation.ngettext(entry.msgid, entry.msgid_plural, n)
                    if got != entry.msgstr_plural.get(0):
                        stale.append(f"{_label(entry)} (n={n}): {got!r}")
            else:
                if entry.msgctxt is not None:
                    got = translation.pgettext(entry.msgctxt, entry.msgid)
                else:
                    got = translation.gettext(entry.msgid)
                if got != entry.msgstr:
                    stale.append(f"{_label(entry)}: {got!r} instead of {entry.msgstr!r}")
    assert not stale, f"{len(stale)} messages differ between django.po and django.mo: {stale[:10]}"


def test_english_stays_english():
    """English is the source language: the msgids themselves, no English catalog needed."""
    with translation.override("en"):
        assert translation.gettext("Pilot-zone public service platform") == "Pilot-zone public service platform"
        assert translation.gettext("Name") == "Name"
