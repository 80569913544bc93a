"""SM4 field encryption, blind indexes, masking and key rotation."""

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from zone_portal.accounts.models import Organization, User
from zone_portal.core import crypto, masking
from zone_portal.core.crypto import DecryptionError

NEW_KEY = "k2:ffeeddccbbaa99887766554433221100"


@given(st.text(max_size=300))
def test_round_trip_any_text(value):
    assert crypto.decrypt(crypto.encrypt(value)) == value


def test_same_value_encrypts_differently_each_time():
    assert crypto.encrypt("110105194912310020") != crypto.encrypt("110105194912310020")


def test_tampering_is_detected():
    token = crypto.encrypt("张三")
    body = token.rsplit(":", 1)
    flipped = body[1][:-6] + ("A" if body[1][-6] != "A" else "B") + body[1][-5:]
    with pytest.raises(DecryptionError):
        crypto.decrypt(body[0] + ":" + flipped)


def test_blind_index_normalises_and_is_keyed(settings):
    bidx = crypto.blind_index
    assert bidx("11010519491231002x", "id_number") == bidx(" 11010519491231002X", "id_number")
    assert crypto.blind_index("+86 138-1234-5678", "phone") == crypto.blind_index("13812345678", "phone")
    assert crypto.blind_index("张 三", "text") == crypto.blind_index("张三", "text")
    before = crypto.blind_index("13812345678", "phone")
    settings.BLIND_INDEX_KEY = "ab" * 32
    assert crypto.blind_index("13812345678", "phone") != before


def test_blind_index_normalisation_drops_exactly_the_whitespace_a_regex_would():
    """Blind indexes already stored were made with re.sub(r"\\s+", "", …): the faster split()
    must remove the same characters, for every code point, or look-ups would stop matching."""
    import re
    import sys

    from zone_portal.core.crypto import normalize_id_number, normalize_text

    for code in range(sys.maxunicode + 1):
        value = f"a{chr(code)}b"
        assert "".join(value.split()) == re.sub(r"\s+", "", value), hex(code)
    assert normalize_text("  李 四\u3000\t") == "李四"
    assert normalize_id_number(" 36042619910101007x ") == "36042619910101007X"


@pytest.mark.parametrize(
    ("func", "value", "shown"),
    [
        (masking.mask_id_number, "11010519491231002X", "110105********002X"),
        (masking.mask_phone, "13812345678", "138****5678"),
        (masking.mask_name, "张三丰", "张**"),
    ],
)
def test_masks(func, value, shown):
    assert func(value) == shown


@pytest.mark.django_db
def test_rotation_reencrypts_everything_under_the_new_key(settings, org_a, user_a):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_field_keys")
    with connection.cursor() as cur:
        cur.execute("SELECT contact_name, contact_mobile FROM accounts_organization WHERE id = %s", [org_a.pk])
        values = cur.fetchone()
        cur.execute("SELECT mobile, full_name FROM accounts_user WHERE id = %s", [user_a.pk])
        values += cur.fetchone()
    assert all(v.startswith("sm4:k2:") for v in values)
    # The old key can now go: everything reads with the new one alone.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert Organization.objects.get(pk=org_a.pk).contact_name == org_a.contact_name
    assert User.objects.get(pk=user_a.pk).mobile == user_a.mobile


@pytest.mark.django_db
def test_reindex_after_a_new_blind_index_key(settings, org_a):
    settings.BLIND_INDEX_KEY = "cd" * 32
    assert not Organization.objects.filter(
        contact_mobile_bidx=crypto.blind_index(org_a.contact_mobile, "phone")).exists()
    call_command("rotate_field_keys", "--reindex")
    assert Organization.objects.filter(
        contact_mobile_bidx=crypto.blind_index(org_a.contact_mobile, "phone")).get().pk == org_a.pk
