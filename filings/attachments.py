"""Attachments of an enterprise filing: type checked by content, stored privately, hashed.

The type of an uploaded file is decided by its first bytes (PDF, JPEG or PNG), never by its name
or by the content type the browser claims. Files are stored with the model's ``FileField`` under
``MEDIA_ROOT``, which no URL serves: the attachment view streams them to authorised users only.
"""

from __future__ import annotations

import hashlib
import os

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from zone_portal.audit.services import audit_record
from zone_portal.core.errors import ApplicationError

from .models import EnterpriseFilingVersion, FilingAttachment
from .services import FilingStateError, _require_member

MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024

# Magic bytes → (content type, file extension).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
# The file name extensions that may go with each type. A name that says another type (a PNG named
# ``.pdf``) is refused: the document would be filed under a false description.
NAME_EXTENSIONS = {"application/pdf": {".pdf"}, "image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}}


class AttachmentTypeNotAllowed(ApplicationError):
    code = "attachment_type_not_allowed"


class AttachmentTooLarge(ApplicationError):
    code = "attachment_too_large"


def sniff_content_type(head: bytes) -> tuple[str, str] | None:
    """``(content type, extension)`` of a file whose first bytes are ``head``, or ``None`` when it
    is none of the accepted types (PDF, JPEG, PNG)."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Check an uploaded file's size and its type by content; return ``(content type, extension)``.

    Raises ``AttachmentTooLarge`` over 10 MB and ``AttachmentTypeNotAllowed`` for anything that
    is not a PDF, JPEG or PNG by its content, whatever its name says, and for a file whose name
    claims another type than its content.
    """
    if upload.size is None or upload.size > MAX_ATTACHMENT_SIZE:
        raise AttachmentTooLarge(_("The file is larger than 10 MB."), field="attachment_file")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    sniffed = sniff_content_type(head)
    if sniffed is None:
        raise AttachmentTypeNotAllowed(_("Only PDF, JPEG or PNG files are accepted; this file is none of them."),
                                       field="attachment_file")
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension and extension not in NAME_EXTENSIONS[sniffed[0]]:
        raise AttachmentTypeNotAllowed(
            _("The file name ends in %(extension)s but the file is a %(kind)s; upload it under its real type.")
            % {"extension": extension, "kind": sniffed[1].lstrip(".").upper()}, field="attachment_file")
    return sniffed


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def filing_attachment_upload(*, actor, version: EnterpriseFilingVersion, kind: str,
                             upload: UploadedFile) -> FilingAttachment:
    """Attach a document to an open (draft or returned) version of the actor's own filing.

    The file is stored under a generated name with the extension of its real type; its SHA-256,
    size and sniffed type are recorded with an audit event.
    """
    version = EnterpriseFilingVersion.objects.select_for_update().select_related(
        "filing__organization").get(pk=version.pk)
    _require_member(actor, version.filing.organization)
    if version.status not in (EnterpriseFilingVersion.Status.DRAFT, EnterpriseFilingVersion.Status.RETURNED):
        raise FilingStateError(_("Attachments can be added only to a draft or a returned application."))
    if kind not in FilingAttachment.Kind.values:
        raise ApplicationError(_("Choose the kind of document."), field="attachment_kind")
    content_type, extension = check_upload(upload)
    original_name = os.path.basename(upload.name or "")[:255] or f"attachment{extension}"
    attachment = FilingAttachment(version=version, kind=kind, original_name=original_name,
                                  content_type=content_type, size=upload.size, sha256=_sha256(upload),
                                  uploaded_by=actor)
    # A generated name: the uploader's name is kept for display only, never used on disk.
    attachment.file.save(f"{attachment.sha256[:16]}{extension}", upload, save=False)
    try:
        attachment.save()
        audit_record(actor=actor, action="filings.filingattachment.upload", target=attachment,
                     organization_id=version.filing.organization_id,
                     extra={"version": version.pk, "kind": kind, "sha256": attachment.sha256,
                            "size": attachment.size, "content_type": content_type})
    except Exception:
        attachment.file.delete(save=False)  # no stored file without its record
        raise
    return attachment
