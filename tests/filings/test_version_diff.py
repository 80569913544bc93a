"""``version_diff``: field-by-field comparison of a change against the version in force, with
personal data masked, and its table on the back-office version pages."""

import pytest
from django.urls import reverse
from django.utils import translation

from filings import services
from filings.diffs import ENTERPRISE_DIFF_FIELDS, change_diff, version_diff, version_in_force_for
from filings.models import EnterpriseFiling
from tests.filings.factories import EnterpriseFilingVersionFactory
from tests.filings.test_enterprise_services import file_it, make_officers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Labels in English (the msgids), whatever translations exist."""
    with translation.override("en"):
        yield


@pytest.fixture
def officers(db):
    return make_officers()


def rows_by_label(rows):
    return {row.label: row for row in rows}


def test_only_changed_fields_are_marked_and_personal_data_is_masked():
    old = EnterpriseFilingVersionFactory(contact_mobile="13812345678", legal_representative="王法人")
    new = EnterpriseFilingVersionFactory.build(filing=old.filing, number=2, contact_mobile="13987655678",
                                               legal_representative="王法人", name_en="New Name Ltd.")
    rows = version_diff(old, new)
    assert [r.label for r in rows] == [str(new._meta.get_field(f).verbose_name) for f in ENTERPRISE_DIFF_FIELDS]
    changed = {r.label for r in rows if r.changed}
    assert changed == {"contact mobile", "name (English)"}
    mobile = rows_by_label(rows)["contact mobile"]
    assert (mobile.old, mobile.new) == ("138****5678", "139****5678")
    legal = rows_by_label(rows)["legal representative"]
    assert not legal.changed and "王法人" not in (legal.old + legal.new) and legal.old == legal.new
    assert all("13812345678" not in r.old + r.new and "13987655678" not in r.old + r.new for r in rows)


def test_masked_values_that_look_alike_still_count_as_changed():
    """Two mobiles with the same first three and last four digits mask alike but differ."""
    old = EnterpriseFilingVersionFactory(contact_mobile="13812345678")
    new = EnterpriseFilingVersionFactory.build(filing=old.filing, number=2, contact_mobile="13800005678")
    row = rows_by_label(version_diff(old, new))["contact mobile"]
    assert row.changed and row.old == row.new == "138****5678"


def test_choices_booleans_and_lists_are_displayed_readably():
    old = EnterpriseFilingVersionFactory(roles=["ebc"], handles_foreign_currency=False)
    new = EnterpriseFilingVersionFactory.build(filing=old.filing, number=2, roles=["ebc", "logistics"],
                                               handles_foreign_currency=True)
    rows = rows_by_label(version_diff(old, new, fields=("roles", "handles_foreign_currency", "uscc")))
    assert list(rows) == ["roles", "receives or pays foreign currency", "unified social credit code"]
    roles = rows["roles"]
    assert roles.changed and roles.old == "E-commerce enterprise (电商企业)"
    assert roles.new == "E-commerce enterprise (电商企业), Logistics enterprise (物流企业)"
    assert (rows["receives or pays foreign currency"].old, rows["receives or pays foreign currency"].new) == ("no",
                                                                                                             "yes")
    assert not rows["unified social credit code"].changed


def test_identical_versions_have_no_changes():
    old = EnterpriseFilingVersionFactory()
    new = EnterpriseFilingVersionFactory.build(filing=old.filing, number=2)
    assert not any(r.changed for r in version_diff(old, new))


def test_different_models_are_refused():
    from tests.filings.factories import GoodsVersionFactory

    with pytest.raises(TypeError):
        version_diff(EnterpriseFilingVersionFactory.build(), GoodsVersionFactory.build())


def test_only_a_change_has_a_version_in_force(user_a, org_a, officers):
    filing = file_it(user_a, org_a, officers)
    first = filing.effective_version
    assert version_in_force_for(first) is None and change_diff(first) is None
    change = services.enterprise_filing_start_change(actor=user_a, filing=filing)
    assert version_in_force_for(change) == first
    assert not any(r.changed for r in change_diff(change))


def test_back_office_version_page_shows_masked_diff(client, user_a, org_a, officers):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    filing = file_it(user_a, org_a, officers)
    change = services.enterprise_filing_start_change(actor=user_a, filing=filing)
    services.enterprise_filing_save_draft(actor=user_a, organization=org_a,
                                          data={"contact_mobile": "13987655678", "operating_address": "杭州市新址1号"})
    services.enterprise_filing_submit(actor=user_a, version=change)
    assert EnterpriseFiling.objects.get(pk=filing.pk).effective_version_id != change.pk
    client.force_login(officers["customs"])
    page = client.get(reverse("admin:filings_enterprisefilingversion_change", args=[change.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    table = html.split('class="version-diff-table"')[1].split("</table>")[0]
    assert table.count('class="diff-changed"') == 2
    assert "<del>138****5678</del>" in table and "<mark>139****5678</mark>" in table
    assert "<mark>杭州市新址1号</mark>" in table
    assert "13812345678" not in html and "13987655678" not in html
    assert 'style="' not in table
    # the department's review page shows the same diff
    review = change.reviews.get(department="customs")
    page = client.get(reverse("admin:filings_departmentreview_change", args=[review.pk]))
    assert page.status_code == 200 and page.content.decode().count('class="diff-changed"') == 2
    assert "13987655678" not in page.content.decode()
    # the version in force is not a change: no diff table
    page = client.get(reverse("admin:filings_enterprisefilingversion_change", args=[filing.effective_version_id]))
    assert page.status_code == 200 and "version-diff-table" not in page.content.decode()
