"""Roles are Django groups with explicit permissions, kept in step with this table.

``sync_roles()`` runs after every ``migrate`` (post_migrate) so that a permission added here, or
by a later app, reaches every group without a hand edit in the back office. A later app adds its
permissions to a role by extending ``ROLE_PERMISSIONS`` in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Organization

K = Organization.Kind


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    org_kind: str  # which kind of organization a holder of the role belongs to
    staff: bool  # may log in to the back office (officers) or not (enterprise users)


ENTERPRISE_ADMIN = "enterprise_admin"
ENTERPRISE_OPERATOR = "enterprise_operator"
CUSTOMS_OFFICER = "customs_officer"
TAX_OFFICER = "tax_officer"
FOREX_OFFICER = "forex_officer"
BANK_OFFICER = "bank_officer"
COMMERCE_OFFICER = "commerce_officer"
MARKET_OFFICER = "market_officer"
ZONE_ADMIN = "zone_admin"

ROLES: dict[str, Role] = {
    r.code: r
    for r in [
        Role(ENTERPRISE_ADMIN, _("Enterprise administrator"), K.ENTERPRISE, staff=False),
        Role(ENTERPRISE_OPERATOR, _("Enterprise operator"), K.ENTERPRISE, staff=False),
        Role(CUSTOMS_OFFICER, _("Customs officer"), K.CUSTOMS, staff=True),
        Role(TAX_OFFICER, _("Tax officer"), K.TAX, staff=True),
        Role(FOREX_OFFICER, _("Forex officer"), K.FOREX, staff=True),
        Role(BANK_OFFICER, _("Bank officer"), K.BANK, staff=True),
        Role(COMMERCE_OFFICER, _("Commerce officer"), K.COMMERCE, staff=True),
        Role(MARKET_OFFICER, _("Market-regulation officer"), K.MARKET, staff=True),
        Role(ZONE_ADMIN, _("Zone administrator"), K.ZONE_OFFICE, staff=True),
    ]
}

_OFFICER_COMMON = [
    "accounts.view_organization",
    "portal.view_park",
    "codes.view_*",
    "audit.view_auditevent",
]

# "app_label.codename" of every permission each role holds.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    ENTERPRISE_ADMIN: {"accounts.manage_api_clients", "accounts.manage_own_users"},
    ENTERPRISE_OPERATOR: set(),
    CUSTOMS_OFFICER: set(_OFFICER_COMMON),
    TAX_OFFICER: set(_OFFICER_COMMON),
    FOREX_OFFICER: set(_OFFICER_COMMON),
    BANK_OFFICER: {"codes.view_*"},
    COMMERCE_OFFICER: set(_OFFICER_COMMON),
    MARKET_OFFICER: set(_OFFICER_COMMON),
    ZONE_ADMIN: {
        *_OFFICER_COMMON,
        "accounts.add_organization", "accounts.change_organization",
        "accounts.view_user", "accounts.add_user", "accounts.change_user",
        "accounts.view_apiclient", "accounts.add_apiclient", "accounts.revoke_apiclient",
        "codes.add_*", "codes.change_*", "codes.import_codes",
        "portal.add_park", "portal.change_park",
        "django_celery_beat.view_periodictask", "django_celery_beat.change_periodictask",
        "axes.view_accessattempt", "axes.delete_accessattempt",
    },
}


def sync_roles(**_kwargs) -> None:
    """Create every role's group and give it exactly the permissions of ``ROLE_PERMISSIONS``."""
    from django.contrib.auth.models import Group, Permission

    for code in ROLES:
        group, _created = Group.objects.get_or_create(name=code)
        wanted = ROLE_PERMISSIONS.get(code, set())
        perms = []
        for dotted in sorted(wanted):
            app_label, codename = dotted.split(".", 1)
            found = Permission.objects.filter(content_type__app_label=app_label)
            if codename.endswith("*"):  # "codes.view_*": every view permission of the app
                found = found.filter(codename__startswith=codename[:-1])
            else:
                found = found.filter(codename=codename)
            # a permission of an app not migrated yet arrives on a later run
            perms.extend(found)
        group.permissions.set(perms)


def role_of(user) -> Role | None:
    """The user's role (a user holds one role)."""
    names = list(user.groups.values_list("name", flat=True)) if user.pk else []
    for name in names:
        if name in ROLES:
            return ROLES[name]
    return None
