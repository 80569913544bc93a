"""Re-encryption of personal data under the current field key, and re-computation of blind indexes.

Rotation (README, "Rotating the field-encryption key"):
1. put the new key first in FIELD_ENCRYPTION_KEYS, keep the old ones after it, restart;
2. run ``manage.py rotate_field_keys``: every value not under the new key is re-encrypted;
3. when it reports 0 remaining, remove the old key and restart.
``--reindex`` recomputes blind indexes, for a new BLIND_INDEX_KEY.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from . import crypto
from .fields import BlindIndexField, EncryptedTextField


@dataclass
class RotationReport:
    model: str
    reencrypted: int = 0
    reindexed: int = 0
    remaining: int = 0


def encrypted_models():
    """Every model with at least one encrypted field, with those fields and its blind indexes."""
    for model in apps.get_models():
        enc = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if enc:
            bidx = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
            yield model, enc, bidx


def rotate_model(model, enc_fields, bidx_fields, *, reindex: bool, batch_size: int = 1000) -> RotationReport:
    """Re-encrypt one model's rows in primary-key batches, each batch its own transaction."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk.column
    cols = [f.column for f in enc_fields]
    prefix = f"{crypto.PREFIX}:{crypto.current_key_id()}:"
    report = RotationReport(model=model._meta.label)
    stale_sql = " OR ".join(f"({c} <> '' AND {c} NOT LIKE %s)" for c in cols)
    last = None
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            where = f"({stale_sql})" if not reindex else "TRUE"
            params: list = [prefix + "%"] * len(cols) if not reindex else []
            if last is not None:
                where += f" AND {pk} > %s"
                params.append(last)
            cur.execute(
                f"SELECT {pk}, {', '.join(cols)} FROM {table} WHERE {where} ORDER BY {pk} "  # noqa: S608
                f"LIMIT {int(batch_size)} FOR UPDATE", params,
            )
            rows = cur.fetchall()
            if not rows:
                break
            for row in rows:
                last = row[0]
                plain = {f.attname: (crypto.decrypt(v) if v else v) for f, v in zip(enc_fields, row[1:], strict=True)}
                sets, values = [], []
                for f in enc_fields:
                    value = plain[f.attname]
                    sets.append(f"{f.column} = %s")
                    values.append(crypto.encrypt(value) if value else value)
                if reindex:
                    for b in bidx_fields:
                        source = plain.get(model._meta.get_field(b.source).attname)
                        sets.append(f"{b.column} = %s")
                        values.append(crypto.blind_index(source, b.kind))
                cur.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} = %s", [*values, row[0]])  # noqa: S608
                report.reencrypted += 1
                report.reindexed += len(bidx_fields) and int(reindex)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE {stale_sql}", [prefix + "%"] * len(cols))  # noqa: S608
        report.remaining = cur.fetchone()[0]
    return report


def rotate_all(*, reindex: bool = False, batch_size: int = 1000) -> list[RotationReport]:
    return [rotate_model(m, e, b, reindex=reindex, batch_size=batch_size) for m, e, b in encrypted_models()]
