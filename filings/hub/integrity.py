"""Checks of what the database no longer checks for the hub's append-only logs.

The receipts' references (declaration, version, organization) and a version's API client are
Django relations without foreign-key constraints (see ``DeclarationReceipt``): the hub writes
them in the transaction of the rows they name, and Django's CASCADE / PROTECT / SET_NULL act on
deletion. These look-ups find a row whose reference points nowhere — which only a deletion by
raw SQL, a restore of part of the tables or a bug could leave — for ``manage.py hub_integrity``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from zone_portal.accounts.models import ApiClient, Organization

from ..models import Declaration, DeclarationReceipt, DeclarationVersion

RECEIPT = DeclarationReceipt._meta.db_table
DECLARATION = Declaration._meta.db_table
VERSION = DeclarationVersion._meta.db_table
ORGANIZATION = Organization._meta.db_table
CLIENT = ApiClient._meta.db_table

RECEIPT_ORPHANS = f"""
SELECT r.id,
       r.declaration_id IS NOT NULL AND d.id IS NULL,
       r.version_id IS NOT NULL AND v.id IS NULL,
       o.id IS NULL,
       v.id IS NOT NULL AND v.declaration_id IS DISTINCT FROM r.declaration_id
FROM {RECEIPT} r
LEFT JOIN {DECLARATION} d ON d.id = r.declaration_id
LEFT JOIN {VERSION} v ON v.id = r.version_id
LEFT JOIN {ORGANIZATION} o ON o.id = r.organization_id
WHERE (r.declaration_id IS NOT NULL AND d.id IS NULL) OR (r.version_id IS NOT NULL AND v.id IS NULL)
   OR o.id IS NULL OR (v.id IS NOT NULL AND v.declaration_id IS DISTINCT FROM r.declaration_id)
ORDER BY r.id LIMIT %s
"""  # noqa: S608 (constant table names)

VERSION_ORPHANS = f"""
SELECT v.id FROM {VERSION} v LEFT JOIN {CLIENT} c ON c.id = v.client_id
WHERE v.client_id IS NOT NULL AND c.id IS NULL ORDER BY v.id LIMIT %s
"""  # noqa: S608


@dataclass(frozen=True)
class Orphan:
    table: str
    pk: int
    reason: str


def hub_orphans(*, limit: int = 100) -> list[Orphan]:
    """Up to ``limit`` receipts and versions whose references point nowhere, by table and id."""
    found: list[Orphan] = []
    with connection.cursor() as cursor:
        cursor.execute(RECEIPT_ORPHANS, [limit])
        for pk, no_declaration, no_version, no_organization, other_declaration in cursor.fetchall():
            reasons = [name for name, flag in (("declaration missing", no_declaration), ("version missing", no_version),
                                               ("organization missing", no_organization),
                                               ("version of another declaration", other_declaration)) if flag]
            found.append(Orphan(RECEIPT, pk, ", ".join(reasons)))
        cursor.execute(VERSION_ORPHANS, [limit])
        found.extend(Orphan(VERSION, pk, "API client missing") for (pk,) in cursor.fetchall())
    return found
