"""The consumer's self-service quota page (public, no login): ID number and name in, used and
remaining quota out — masked, rate-limited per address, every query audited without the plain ID."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from filings.clearance.services import documents_process, lists_clear
from zone_portal.audit.models import AuditEvent

from .factories import BUYER_ID, BUYER_NAME, CREAM, line, make_list, make_request

pytestmark = pytest.mark.usefixtures("clearance")
URL = "/filings/quota/"
MASKED = "360426********0071"


def ask(client, id_number=BUYER_ID, name=BUYER_NAME):
    return client.post(URL, {"id_number": id_number, "name": name})


def audited() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="clearance.quota.query").order_by("id"))


def test_the_page_is_public_and_routed():
    assert reverse("filings:consumer_quota") == URL


def _public_menu(client, language: str) -> dict[str, str]:
    """``{href: label}`` of the navigation bar of the public home page, in ``language``."""
    html = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    nav = html[html.index("<nav"):html.index("</nav>")]
    return {href: re.sub(r"<[^>]+>|\s+", " ", label).strip()
            for href, label in re.findall(r'<a class="nav-link[^"]*" href="([^"]+)"[^>]*>(.*?)</a>', nav, re.S)}


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "个人额度查询"), ("en", "Quota look-up")])
def test_a_visitor_finds_the_page_in_the_public_menu(client, language, label):
    menu = _public_menu(client, language)
    assert menu.get(URL) == label
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert 'aria-current="page"' in page.content.decode().split(f'href="{URL}"')[1].split(">")[0]


def test_a_buyer_sees_used_and_remaining_quota_masked(client):
    lists_clear(declaration_ids=[make_list(lines=[line(1, CREAM, "2", "1500")]).pk,
                                 make_list(lines=[line(1, CREAM, "1", "1000")]).pk])
    assert client.get(URL).status_code == 200
    response = ask(client)
    body = response.content.decode()
    assert response.status_code == 200
    assert MASKED in body and BUYER_ID not in body and "李*" in body
    assert "4000.00" in body and "22000.00" in body  # used, remaining of 26,000
    event = audited()[-1]
    assert event.extra["id_number"] == MASKED and event.extra["outcome"] == "found"
    assert BUYER_ID not in json.dumps(event.extra, ensure_ascii=False) + event.target_repr + event.actor_label


def test_a_cancelled_list_no_longer_counts_on_the_page(client):
    d = make_list(lines=[line(1, CREAM, "2", "1500")])
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    documents_process(declaration_ids=[make_request("CEB623", d).pk])
    assert "26000.00" in ask(client).content.decode().split("quota-remaining")[1]


def test_someone_who_bought_nothing_has_the_whole_quota(client):
    body = ask(client, id_number="11010519491231002X", name="张三").content.decode()
    assert "110105********002X" in body and "26000.00" in body and "0.00" in body
    assert audited()[-1].extra["outcome"] == "none"


def test_the_wrong_name_shows_no_figures(client):
    lists_clear(declaration_ids=[make_list().pk])
    body = ask(client, name="王五").content.decode()
    assert "quota-mismatch" in body and "quota-used" not in body and "200.00" not in body
    assert audited()[-1].extra["outcome"] == "mismatch"


def test_an_invalid_id_number_is_refused_and_audited_masked(client):
    response = ask(client, id_number="360426199101010072")  # wrong check digit
    assert response.status_code == 400 and "360426199101010072" not in response.content.decode()
    assert audited()[-1].extra == {"id_number": "360426********0072", "name": "李*", "outcome": "invalid",
                                   "year": None}


def test_queries_are_rate_limited_per_address_and_still_audited(client, settings):
    settings.CLEARANCE_QUOTA_QUERY_RATE = "2/m"
    assert ask(client).status_code == 200
    assert ask(client).status_code == 200
    limited = ask(client)
    assert limited.status_code == 429 and "rate-limited" in limited.content.decode()
    assert "quota-answer" not in limited.content.decode()
    assert [e.extra["outcome"] for e in audited()] == ["none", "none", "rate_limited"]
    other = client.post(URL, {"id_number": BUYER_ID, "name": BUYER_NAME}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_the_id_number_is_never_in_a_url_or_echoed_in_the_form(client):
    assert client.get(URL, {"id_number": BUYER_ID, "name": BUYER_NAME}).status_code == 200
    assert not audited()  # a GET asks nothing
    body = ask(client).content.decode()
    assert f'value="{BUYER_ID}"' not in body
