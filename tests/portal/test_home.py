"""The public home page and the language switch."""

import pytest
from django.urls import reverse

from tests.portal.markup import parse

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")


def test_home_page_is_public_and_links_to_registration_and_login(client):
    response = client.get(HOME)
    assert response.status_code == 200
    page = parse(response.content)
    assert reverse("accounts:register") in page.links
    assert reverse("accounts:login") in page.links


def test_home_page_links_to_the_api_docs_when_they_are_served(client, settings):
    """The API docs link points at /api/docs/ whenever a view answers there, and only then."""
    from django.urls import Resolver404, resolve

    page = parse(client.get(HOME).content)
    try:
        resolve("/api/docs/")
    except Resolver404:
        assert "/api/docs/" not in page.links  # no dead link while the docs are not routed
    else:
        assert "/api/docs/" in page.links


def test_home_page_describes_the_platform_in_english(client):
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    for system in ("Information sharing", "Finance", "Smart logistics", "E-commerce credit",
                   "Statistics monitoring", "Risk control"):
        assert system in text
    assert "Online public service platform" in text
    assert "Offline industrial park platform" in text
    assert "curated sample" in text  # the footer says the 10-digit HS table is not the official tariff


def test_default_language_is_simplified_chinese(client):
    page = parse(client.get(HOME).content)
    assert page.lang == "zh-hans"


def test_language_switch_changes_the_page_language(client):
    assert parse(client.get(HOME).content).lang == "zh-hans"

    response = client.post(reverse("set_language"), {"language": "en", "next": HOME})
    assert response.status_code == 302
    assert response["Location"] == HOME

    page = parse(client.get(HOME).content)
    assert page.lang == "en"

    client.post(reverse("set_language"), {"language": "zh-hans", "next": HOME})
    assert parse(client.get(HOME).content).lang == "zh-hans"


def test_language_switch_offers_both_languages_and_returns_to_the_same_page(client):
    page = parse(client.get(reverse("accounts:login")).content)
    switch = [f for f in page.forms if f["action"] == reverse("set_language")]
    assert len(switch) == 1
    form = switch[0]
    assert form["method"] == "post"
    assert ("language", "zh-hans") in form["buttons"]
    assert ("language", "en") in form["buttons"]
    assert form["inputs"]["next"] == reverse("accounts:login")
    assert "csrfmiddlewaretoken" in form["inputs"]
    html = client.get(reverse("accounts:login")).content.decode()
    assert "简体中文" in html and "English" in html


def test_signed_in_user_sees_a_link_to_the_own_work_queue_on_the_home_page(client, user_a):
    client.force_login(user_a)
    page = parse(client.get(HOME).content)
    assert reverse("portal:dashboard") in page.links
    assert reverse("accounts:register") not in page.links
