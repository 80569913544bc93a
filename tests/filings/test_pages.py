"""Enterprise filing pages: the application form, submission, field errors, attachments (type by
content, size, private storage, who may download), permissions and notifications."""

import hashlib
import os
import struct
import zlib

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from filings import services
from filings.models import DepartmentReview, EnterpriseFiling, EnterpriseFilingVersion, FilingAttachment
from tests.accounts.factories import DepartmentFactory, OfficerFactory
from tests.filings.factories import ensure_default_review_rules
from zone_portal.accounts import roles
from zone_portal.accounts.models import Notification
from zone_portal.audit.models import AuditEvent

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
       b"/Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def png_bytes() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def form_data(org, **overrides):
    data = {
        "roles": ["ebc", "fts"], "customs_code": "", "name": org.name, "name_en": org.name_en,
        "legal_representative": "王法人", "registered_address": "杭州市滨江区网商路699号",
        "operating_address": "", "contact_name": "张三", "contact_mobile": "13812345678",
        "contact_email": "filing@example.com", "business_scope": "跨境电子商务零售进出口", "park": "",
        "bank_name": "", "bank_account": "", "payment_licence_no": "", "express_permit_no": "",
        "platform_domain": "", "platform_app_name": "", "attachment_kind": "", "action": "save",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _matrix(db):
    ensure_default_review_rules()


def save_draft(user, org, **overrides):
    data = {k: v for k, v in form_data(org, **overrides).items()
            if k in services.EDITABLE_FIELDS and k != "park"} | {"uscc": org.uscc}
    return services.enterprise_filing_save_draft(actor=user, organization=org, data=data)


def submitted(user, org, **overrides):
    return services.enterprise_filing_submit(actor=user, version=save_draft(user, org, **overrides))


def upload(client, org, content, name, kind="business_licence", **overrides):
    file = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(reverse("filings:enterprise_filing_edit"),
                       form_data(org, attachment_kind=kind, attachment_file=file, **overrides), **EN)


# --- filling in and submitting ----------------------------------------------------------------

def test_admin_fills_and_submits_the_filing(client, user_a, org_a):
    client.force_login(user_a)
    page = client.get(reverse("filings:enterprise_filing_edit"), **EN)
    assert page.status_code == 200
    assert org_a.uscc in page.content.decode()  # prefilled, read-only

    response = client.post(reverse("filings:enterprise_filing_edit"), form_data(org_a, action="submit"), **EN)

    assert response.status_code == 302
    filing = EnterpriseFiling.objects.get(organization=org_a)
    assert filing.status == EnterpriseFiling.Status.UNDER_REVIEW
    version = filing.versions.get()
    assert version.status == EnterpriseFilingVersion.Status.UNDER_REVIEW
    # Default matrix: customs for every role, tax for ebc and fts.
    assert set(version.reviews.values_list("department", flat=True)) == {"customs", "tax"}
    overview = client.get(reverse("filings:enterprise_filing"), **EN).content.decode()
    assert "under review" in overview
    assert "Customs" in overview and "Tax" in overview
    # Personal data is masked on the overview.
    assert "13812345678" not in overview


def test_uscc_cannot_be_changed_through_the_form(client, user_a, org_a):
    client.force_login(user_a)
    client.post(reverse("filings:enterprise_filing_edit"), form_data(org_a, uscc="91330000000000000X"), **EN)
    assert EnterpriseFilingVersion.objects.get(filing__organization=org_a).uscc == org_a.uscc


def test_bad_customs_code_and_missing_role_field_are_shown_on_their_fields(client, user_a, org_a):
    client.force_login(user_a)
    response = client.post(reverse("filings:enterprise_filing_edit"),
                           form_data(org_a, customs_code="12AB", roles=["payment"]), **EN)

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["customs_code"]
    assert form.errors["payment_licence_no"] == ["A payment enterprise must give its payment business licence number."]
    html = response.content.decode()
    assert "A payment enterprise must give its payment business licence number." in html
    assert 'id="id_customs_code_error"' in html
    assert not EnterpriseFiling.objects.filter(organization=org_a, versions__isnull=False).exists()


def test_missing_required_field_is_a_field_error(client, user_a, org_a):
    client.force_login(user_a)
    response = client.post(reverse("filings:enterprise_filing_edit"), form_data(org_a, contact_email=""), **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["contact_email"] == ["This field is required."]


# --- attachments --------------------------------------------------------------------------------

def test_a_real_pdf_is_stored_privately_and_served_to_the_owner(client, user_a, org_a):
    client.force_login(user_a)
    response = upload(client, org_a, PDF, "licence.pdf")
    assert response.status_code == 302

    attachment = FilingAttachment.objects.get(version__filing__organization=org_a)
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    path = attachment.file.path
    assert os.path.exists(path) and path.startswith(str(settings.MEDIA_ROOT))
    assert not path.startswith(str(settings.STATIC_ROOT))
    assert AuditEvent.objects.filter(action="filings.filingattachment.upload").exists()

    download = client.get(reverse("filings:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"


def test_a_png_is_accepted_as_a_png_whatever_the_browser_says(client, user_a, org_a):
    client.force_login(user_a)
    assert upload(client, org_a, png_bytes(), "licence.png").status_code == 302
    attachment = FilingAttachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png")


@pytest.mark.parametrize("content", [b"hello, I am a text file\n", b"<html><script>x</script>"])
def test_non_pdf_content_named_pdf_is_refused(client, user_a, org_a, content):
    client.force_login(user_a)
    response = upload(client, org_a, content, "licence.pdf")
    assert response.status_code == 400
    assert response.context["form"].errors["attachment_file"] == [
        "Only PDF, JPEG or PNG files are accepted; this file is none of them."]
    assert not FilingAttachment.objects.exists()


def test_a_png_named_pdf_is_refused(client, user_a, org_a):
    """The content decides: a PNG under a .pdf name does not pass for a PDF."""
    client.force_login(user_a)
    response = upload(client, org_a, png_bytes(), "licence.pdf")
    assert response.status_code == 400
    assert response.context["form"].errors["attachment_file"] == [
        "The file name ends in .pdf but the file is a PNG; upload it under its real type."]
    assert not FilingAttachment.objects.exists()


def test_a_jpeg_with_a_jpeg_name_is_accepted(client, user_a, org_a):
    client.force_login(user_a)
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
    assert upload(client, org_a, jpeg, "licence.jpeg").status_code == 302
    assert FilingAttachment.objects.get().content_type == "image/jpeg"


def test_a_file_over_10_mb_is_refused(client, user_a, org_a):
    client.force_login(user_a)
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = upload(client, org_a, big, "big.pdf")
    assert response.status_code == 400
    assert response.context["form"].errors["attachment_file"] == ["The file is larger than 10 MB."]
    assert not FilingAttachment.objects.exists()


def test_an_attachment_needs_a_kind(client, user_a, org_a):
    client.force_login(user_a)
    response = upload(client, org_a, PDF, "licence.pdf", kind="")
    assert response.status_code == 400
    assert response.context["form"].errors["attachment_kind"] == ["Choose the kind of document."]


def test_attachment_is_hidden_from_enterprise_b_and_anonymous(client, user_a, user_b, org_a):
    client.force_login(user_a)
    upload(client, org_a, PDF, "licence.pdf")
    url = reverse("filings:attachment_download", args=[FilingAttachment.objects.get().pk])

    client.force_login(user_b)
    assert client.get(url).status_code == 404
    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert client.get(reverse("filings:attachment_download", args=[999999])).status_code == 302


def test_a_reviewing_officer_may_download_and_another_may_not(client, user_a, org_a, officer_with_perm,
                                                              officer_without_perm):
    client.force_login(user_a)
    upload(client, org_a, PDF, "licence.pdf", action="submit")
    url = reverse("filings:attachment_download", args=[FilingAttachment.objects.get().pk])

    client.force_login(officer_with_perm)  # customs reviews every filing
    assert client.get(url).status_code == 200
    client.force_login(officer_without_perm)  # a bank officer
    assert client.get(url).status_code == 404


# --- who may see and do what --------------------------------------------------------------------

def test_enterprise_b_never_sees_a_filing(client, user_a, user_b, org_a):
    submitted(user_a, org_a)
    client.force_login(user_b)
    page = client.get(reverse("filings:enterprise_filing"), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert org_a.name not in html and "under review" not in html
    assert 'id="no-filing"' in html
    # B's form is B's own: nothing of A prefilled.
    assert org_a.name not in client.get(reverse("filings:enterprise_filing_edit"), **EN).content.decode()


def test_officers_get_404_on_enterprise_pages(client, officer_with_perm):
    client.force_login(officer_with_perm)
    for name in ("enterprise_filing", "enterprise_filing_edit", "notification_list"):
        assert client.get(reverse(f"filings:{name}")).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("filings:enterprise_filing"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_operator_saves_a_draft_but_cannot_submit(client, operator_a, org_a):
    client.force_login(operator_a)
    response = client.post(reverse("filings:enterprise_filing_edit"), form_data(org_a, action="submit"), **EN)
    assert response.status_code == 400
    assert "Only the enterprise administrator may submit the filing." in response.content.decode()
    version = EnterpriseFilingVersion.objects.get(filing__organization=org_a)
    assert version.status == EnterpriseFilingVersion.Status.DRAFT

    client.post(reverse("filings:enterprise_filing_submit"), **EN)
    version.refresh_from_db()
    assert version.status == EnterpriseFilingVersion.Status.DRAFT
    assert not DepartmentReview.objects.exists()


def _file(user, org):
    version = submitted(user, org)
    for review in version.reviews.all():
        dept = DepartmentFactory(kind=review.department, name=f"{review.department} dept")
        role = {"customs": roles.CUSTOMS_OFFICER, "tax": roles.TAX_OFFICER}[review.department]
        officer = OfficerFactory(username=f"{review.department}_x", organization=dept, role=role)
        services.enterprise_filing_decide(actor=officer, review=review, decision=DepartmentReview.Decision.APPROVED)
    filing = EnterpriseFiling.objects.get(organization=org)
    assert filing.status == EnterpriseFiling.Status.FILED
    return filing


def test_operator_cannot_revoke(client, user_a, operator_a, org_a):
    filing = _file(user_a, org_a)
    client.force_login(operator_a)
    assert 'id="revoke-filing"' not in client.get(reverse("filings:enterprise_filing"), **EN).content.decode()
    client.post(reverse("filings:enterprise_filing_revoke"), {"reason": "x", "confirm": "on"}, **EN)
    filing.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.FILED


def test_admin_revokes_with_confirmation(client, user_a, org_a):
    filing = _file(user_a, org_a)
    client.force_login(user_a)
    page = client.get(reverse("filings:enterprise_filing"), **EN).content.decode()
    assert filing.filing_no in page and "王*" in page  # masked legal representative
    unconfirmed = client.post(reverse("filings:enterprise_filing_revoke"), {"reason": "closing"}, **EN)
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm." in unconfirmed.content.decode()
    filing.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.FILED

    client.post(reverse("filings:enterprise_filing_revoke"), {"reason": "closing", "confirm": "on"}, **EN)
    filing.refresh_from_db()
    assert filing.status == EnterpriseFiling.Status.REVOKED


def test_admin_starts_a_change_of_a_filed_filing(client, user_a, org_a):
    filing = _file(user_a, org_a)
    client.force_login(user_a)
    response = client.post(reverse("filings:enterprise_filing_start_change"), **EN)
    assert response.status_code == 302 and response["Location"] == reverse("filings:enterprise_filing_edit")
    assert filing.versions.filter(status=EnterpriseFilingVersion.Status.DRAFT, number=2).exists()
    page = client.get(reverse("filings:enterprise_filing"), **EN).content.decode()
    assert "Change in progress" in page and "Version in force" in page


def test_a_returned_filing_shows_the_fields_to_fix(client, user_a, org_a, officer_with_perm):
    version = submitted(user_a, org_a)
    review = version.reviews.get(department="customs")
    services.enterprise_filing_decide(actor=officer_with_perm, review=review,
                                      decision=DepartmentReview.Decision.RETURNED,
                                      reason="The contact mobile is wrong.", fields_to_fix=["contact_mobile"])
    client.force_login(user_a)

    overview = client.get(reverse("filings:enterprise_filing"), **EN).content.decode()
    assert 'id="fields-to-fix"' in overview
    assert "Contact mobile" in overview and "The contact mobile is wrong." in overview

    edit = client.get(reverse("filings:enterprise_filing_edit"), **EN)
    assert edit.status_code == 200
    assert "A department returned this field for correction." in edit.content.decode()
    assert "zp-fix" in str(edit.context["form"]["contact_mobile"])
    assert "zp-fix" not in str(edit.context["form"]["name"])

    # Correct and resubmit: the version is under review again.
    client.post(reverse("filings:enterprise_filing_edit"), form_data(org_a, contact_mobile="13987654321",
                                                                     action="submit"), **EN)
    version.refresh_from_db()
    assert version.status == EnterpriseFilingVersion.Status.UNDER_REVIEW


def test_an_application_under_review_cannot_be_edited(client, user_a, org_a):
    submitted(user_a, org_a)
    client.force_login(user_a)
    response = client.get(reverse("filings:enterprise_filing_edit"), **EN)
    assert response.status_code == 302 and response["Location"] == reverse("filings:enterprise_filing")


# --- notifications ------------------------------------------------------------------------------

def test_notifications_list_the_enterprise_s_own_only(client, user_a, user_b, org_a, org_b):
    submitted(user_a, org_a)  # notifies A: "Filing application submitted"
    Notification.objects.create(organization=org_b, verb="x", title="For enterprise B only")
    client.force_login(user_a)
    page = client.get(reverse("filings:notification_list"), **EN).content.decode()
    assert "Filing application submitted" in page
    assert "For enterprise B only" not in page

    client.post(reverse("filings:notification_mark_read"), **EN)
    assert not Notification.objects.filter(organization=org_a, read_at__isnull=True).exists()
    assert Notification.objects.get(organization=org_b).read_at is None


def test_marking_another_enterprise_s_notification_does_nothing(client, user_a, org_b):
    other = Notification.objects.create(organization=org_b, verb="x", title="B")
    client.force_login(user_a)
    client.post(reverse("filings:notification_mark_read"), {"pk": other.pk})
    other.refresh_from_db()
    assert other.read_at is None


def test_dashboard_card_and_menu_show_the_filing(client, user_a, org_a):
    # Other tests may swap the provider out of the process-wide registry; ready() puts it back.
    apps.get_app_config("filings").ready()
    client.force_login(user_a)
    html = client.get(reverse("portal:dashboard"), **EN).content.decode()
    card = html[html.index('id="queue-enterprise_filing"'):]
    card = card[: card.index('id="queue-', 10)]
    assert "File your enterprise" in card and ">1</span>" in card
    assert f'href="{reverse("filings:enterprise_filing")}"' in html  # the menu item

    submitted(user_a, org_a)
    html = client.get(reverse("portal:dashboard"), **EN).content.decode()
    card = html[html.index('id="queue-enterprise_filing"'):]
    card = card[: card.index('id="queue-', 10)]
    assert "under review" in card and ">0</span>" in card
