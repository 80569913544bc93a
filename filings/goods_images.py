"""Pictures of a goods item (商品图片): type checked by content, stored privately, five a version.

Images are kept like the attachments of an enterprise filing (``attachments.py``): the type is
decided by the first bytes (JPEG or PNG only), the file is stored under a generated name below
``MEDIA_ROOT``, which no URL serves, and the goods image view streams it only to users who may see
the goods item. Images belong to a version; a change (变更) starts with the images of the version
it copies, which share the stored files, so a file is deleted only when no image row uses it any
more.
"""

from __future__ import annotations

import hashlib
import os

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from zone_portal.audit.services import audit_record

from .attachments import (
    MAX_ATTACHMENT_SIZE,
    NAME_EXTENSIONS,
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
    sniff_content_type,
)
from .goods import GoodsStateError
from .models import GoodsImage, GoodsVersion
from .services import _require_member

MAX_IMAGES_PER_VERSION = 5  # also a database constraint (goodsimage_at_most_five)
MAX_IMAGE_SIZE = MAX_ATTACHMENT_SIZE
IMAGE_TYPES = ("image/jpeg", "image/png")


class GoodsImageLimit(GoodsStateError):
    """The version already has the five images it may have."""

    code = "goods_image_limit"


def check_image(upload: UploadedFile) -> tuple[str, str]:
    """Check an uploaded picture's size and its type by content; return ``(content type, extension)``.

    Raises ``AttachmentTooLarge`` over 10 MB and ``AttachmentTypeNotAllowed`` for anything that is
    not a JPEG or PNG by its content, or whose name claims another type than its content.
    """
    if upload.size is None or upload.size > MAX_IMAGE_SIZE:
        raise AttachmentTooLarge(_("The file is larger than 10 MB."), field="images")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    sniffed = sniff_content_type(head)
    if sniffed is None or sniffed[0] not in IMAGE_TYPES:
        raise AttachmentTypeNotAllowed(_("Only JPEG or PNG images are accepted; this file is neither."),
                                       field="images")
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension and extension not in NAME_EXTENSIONS[sniffed[0]]:
        raise AttachmentTypeNotAllowed(
            _("The file name ends in %(extension)s but the file is a %(kind)s; upload it under its real type.")
            % {"extension": extension, "kind": sniffed[1].lstrip(".").upper()}, field="images")
    return sniffed


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def goods_image_upload(*, actor, version: GoodsVersion, upload: UploadedFile) -> GoodsImage:
    """Add a picture to the draft version of a goods item of the actor's own enterprise.

    Only a draft takes images (a version under review or decided is what customs saw), and a
    version has at most five; the image takes the first free position.
    """
    version = GoodsVersion.objects.select_for_update().select_related("item__organization").get(pk=version.pk)
    _require_member(actor, version.item.organization)
    if version.status != GoodsVersion.Status.DRAFT:
        raise GoodsStateError(_("Pictures can be added only to a draft."), field="images")
    taken = set(version.images.values_list("position", flat=True))
    free = [p for p in range(1, MAX_IMAGES_PER_VERSION + 1) if p not in taken]
    if not free:
        raise GoodsImageLimit(_("A goods item has at most %(n)d pictures.") % {"n": MAX_IMAGES_PER_VERSION},
                              field="images")
    content_type, extension = check_image(upload)
    image = GoodsImage(version=version, content_type=content_type, size=upload.size, sha256=_sha256(upload),
                       position=free[0])
    # A generated name: the uploader's file name never reaches the disk.
    image.file.save(f"{image.sha256[:16]}{extension}", upload, save=False)
    try:
        image.save()
        audit_record(actor=actor, action="filings.goodsimage.upload", target=image,
                     organization_id=version.item.organization_id,
                     extra={"item": version.item_id, "version": version.number, "position": image.position,
                            "sha256": image.sha256, "size": image.size, "content_type": content_type})
    except Exception:
        image.file.delete(save=False)  # no stored file without its record
        raise
    return image


@transaction.atomic
def goods_image_delete(*, actor, image: GoodsImage) -> None:
    """Remove a picture from the draft version of a goods item of the actor's own enterprise.

    The stored file goes once the transaction commits, unless another version still uses it.
    """
    image = GoodsImage.objects.select_related("version__item__organization").get(pk=image.pk)
    version = GoodsVersion.objects.select_for_update().get(pk=image.version_id)
    _require_member(actor, image.version.item.organization)
    if version.status != GoodsVersion.Status.DRAFT:
        raise GoodsStateError(_("Pictures can be removed only from a draft."), field="images")
    name, storage = image.file.name, image.file.storage
    audit_record(actor=actor, action="filings.goodsimage.delete", target=image,
                 organization_id=image.version.item.organization_id,
                 extra={"item": version.item_id, "version": version.number, "position": image.position,
                        "sha256": image.sha256})
    image.delete()
    if not GoodsImage.objects.filter(file=name).exists():
        transaction.on_commit(lambda: storage.delete(name))

