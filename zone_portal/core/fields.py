"""Model fields for personal data: encrypted at rest, with an optional blind index beside them.

    class Order(models.Model):
        buyer_id_number = EncryptedTextField(_("buyer ID number"), mask="id_number")
        buyer_id_number_bidx = BlindIndexField(source="buyer_id_number", kind="id_number")

The attribute holds plaintext in Python; the column holds ``sm4:<kid>:…``. The blind index is
computed in ``pre_save``, which Django also calls for ``bulk_create``, so bulk paths stay right.
Look up with ``Order.objects.filter(buyer_id_number_bidx=blind_index(value, "id_number"))``.
"""

from __future__ import annotations

from django.db import models

from . import crypto, masking

MASKERS = {
    "id_number": masking.mask_id_number,
    "phone": masking.mask_phone,
    "name": masking.mask_name,
    "address": masking.mask_address,
    "email": masking.mask_email,
    "text": masking.mask_name,
}


class EncryptedTextField(models.TextField):
    """A text field stored encrypted with SM4-GCM. Not searchable: pair it with a BlindIndexField."""

    def __init__(self, *args, mask: str = "text", **kwargs):
        if mask not in MASKERS:
            raise ValueError(f"unknown mask {mask!r}")
        self.mask = mask
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.mask != "text":
            kwargs["mask"] = self.mask
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value):
        if isinstance(value, str) and crypto.is_encrypted(value):
            return crypto.decrypt(value)
        return super().to_python(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if crypto.is_encrypted(value):  # already ciphertext (e.g. a raw copy during rotation)
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name):
        # Ciphertexts are randomised: any lookup other than isnull would silently match nothing.
        if lookup_name not in ("isnull", "exact"):
            return None
        return super().get_lookup(lookup_name)

    def masked(self, value) -> str:
        return MASKERS[self.mask](value)


class BlindIndexField(models.CharField):
    """HMAC-SM3 of another field's normalised plaintext, kept up to date on every save."""

    def __init__(self, *args, source: str, kind: str = "text", **kwargs):
        if kind not in crypto.NORMALIZERS:
            raise ValueError(f"unknown blind index kind {kind!r}")
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        for key, default in (("max_length", 64), ("editable", False), ("db_index", True),
                             ("null", True), ("blank", True)):
            if kwargs.get(key) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.blind_index(getattr(model_instance, self.source), self.kind)
        setattr(model_instance, self.attname, value)
        return value


def masked(instance: models.Model, field_name: str) -> str:
    """The masked display form of an encrypted field of ``instance``."""
    field = instance._meta.get_field(field_name)
    return field.masked(getattr(instance, field_name))
