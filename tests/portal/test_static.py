"""The vendored front-end files are in place and survive the production collectstatic."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.template.loader import get_template

VENDORED = [
    "vendor/bootstrap-5.3.9/bootstrap.min.css",
    "vendor/bootstrap-5.3.9/bootstrap.bundle.min.js",
    "vendor/bootstrap-icons-1.13.1/bootstrap-icons.min.css",
    "vendor/bootstrap-icons-1.13.1/fonts/bootstrap-icons.woff2",
    "vendor/htmx-2.0.11/htmx.min.js",
    "vendor/echarts-6.1.0/echarts.min.js",
    "portal/portal.css",
    "portal/portal.js",
    "portal/admin.css",
]
LICENSES = [
    "vendor/bootstrap-5.3.9/LICENSE",
    "vendor/bootstrap-icons-1.13.1/LICENSE",
    "vendor/htmx-2.0.11/LICENSE",
    "vendor/echarts-6.1.0/LICENSE",
    "vendor/echarts-6.1.0/NOTICE",
]


@pytest.mark.parametrize("path", VENDORED + LICENSES)
def test_static_file_is_found_by_the_finders(path):
    found = finders.find(path)
    assert found, path
    with open(found, "rb") as fh:
        assert len(fh.read()) > 100


def test_vendored_files_are_the_real_libraries():
    def head(path, size=4000):
        with open(finders.find(path), encoding="utf-8") as fh:
            return fh.read(size)

    assert "Bootstrap  v5.3.9" in head("vendor/bootstrap-5.3.9/bootstrap.min.css")
    assert "Bootstrap v5.3.9" in head("vendor/bootstrap-5.3.9/bootstrap.bundle.min.js")
    with open(finders.find("vendor/htmx-2.0.11/htmx.min.js"), encoding="utf-8") as fh:
        assert 'version:"2.0.11"' in fh.read()
    with open(finders.find("vendor/echarts-6.1.0/echarts.min.js"), encoding="utf-8") as fh:
        assert '"6.1.0"' in fh.read()


def test_base_template_loads_the_vendored_files():
    source = get_template("base.html").template.source
    for path in ("vendor/bootstrap-5.3.9/bootstrap.min.css", "vendor/bootstrap-5.3.9/bootstrap.bundle.min.js",
                 "vendor/bootstrap-icons-1.13.1/bootstrap-icons.min.css", "vendor/htmx-2.0.11/htmx.min.js",
                 "portal/portal.css", "portal/portal.js"):
        assert "{% static '" + path + "' %}" in source, path


def test_collectstatic_with_the_production_storage(tmp_path, settings):
    """Whitenoise's manifest storage rewrites every url() and refuses missing files (source maps,
    fonts): a vendored file that breaks this would break the deployment."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for path in VENDORED:
        assert path in manifest, path
    icons_css = (tmp_path / manifest["vendor/bootstrap-icons-1.13.1/bootstrap-icons.min.css"]).read_text()
    hashed_font = manifest["vendor/bootstrap-icons-1.13.1/fonts/bootstrap-icons.woff2"].rsplit("/", 1)[1]
    assert f"fonts/{hashed_font}" in icons_css  # the font URL was rewritten to the hashed name
