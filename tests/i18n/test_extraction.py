"""Every translatable string of the project's code and templates is in the Chinese catalog.

``makemessages`` is run on a copy of the source tree (never on the real one, whose catalog it would
rewrite), merging into a copy of locale/; any message it adds without a translation is a string
someone wrapped in gettext or {% translate %} but nobody translated, which a Chinese user would
read in English. It needs GNU gettext (xgettext, msguniq, msgmerge): without it the test is
skipped, unless REQUIRE_GETTEXT is set (CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from tests.i18n.catalog import ROOT, messages, parse

GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge")
FIX = (
    "run `manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --ignore=bench "
    "--ignore=scripts`, translate the new entries in locale/zh_Hans/LC_MESSAGES/django.po, then "
    "`manage.py compilemessages --ignore=.venv`"
)


@pytest.fixture(scope="module")
def gettext_tools():
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"GNU gettext is not installed ({', '.join(missing)} missing; apt-get install gettext)"
        if os.environ.get("REQUIRE_GETTEXT"):
            pytest.fail(reason)
        pytest.skip(reason)


def _source_roots() -> list[str]:
    """What the image ships and makemessages reads: the packages, templates, manage.py and locale/."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    return ["manage.py", "templates", "locale", *packages]


@pytest.fixture(scope="module")
def extracted(gettext_tools, tmp_path_factory):
    """A copy of the tree after makemessages (django and djangojs domains): its locale/ directory."""
    tree = tmp_path_factory.mktemp("tree")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "migrations", "data", "vendor", "*.mo")
    for name in _source_roots():
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=skip)
        elif source.is_file():
            shutil.copy2(source, tree / name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zone_portal.settings"}
    for domain in ("django", "djangojs"):
        done = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--domain", domain,
             "--no-obsolete", "--verbosity", "0"],
            cwd=tree, env=env, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return tree / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_makemessages_ran_on_the_copy_and_found_the_portal_strings(extracted):
    found = {e.msgid for e in messages(parse(extracted / "django.po"))}
    assert {"Pilot-zone public service platform", "Unified social credit code", "Rotate secret"} <= found


def test_no_string_of_the_code_or_templates_lacks_a_translation(extracted):
    entries = messages(parse(extracted / "django.po"))
    missing = [
        f"{e.msgid!r} ({', '.join(e.references[:2])})" for e in entries if e.untranslated or e.fuzzy
    ]
    assert not missing, f"{len(missing)} strings have no Chinese translation: {missing[:25]}; {FIX}"


def test_no_script_string_lacks_a_translation(extracted):
    """The portal's own JavaScript (vendor code aside) calls no gettext today; if it starts to,
    its strings need a djangojs catalog as well."""
    catalog = extracted / "djangojs.po"
    if not catalog.exists():
        return  # nothing to translate in the scripts
    missing = [e.msgid for e in messages(parse(catalog)) if e.untranslated or e.fuzzy]
    assert not missing, (
        f"untranslated script strings: {missing[:25]}; run makemessages -d djangojs -l zh_Hans "
        "(same --ignore options plus --ignore=vendor) and translate locale/zh_Hans/LC_MESSAGES/djangojs.po"
    )
