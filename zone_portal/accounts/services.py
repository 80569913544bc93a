"""Writes of the accounts kernel: registration, officers, API clients. Each is one transaction
with its audit event."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zone_portal.audit.services import audit_record, diff, snapshot
from zone_portal.core.errors import ApplicationError, Conflict, PermissionDenied

from . import roles, scopes
from .models import ApiClient, Organization, User
from .validators import is_valid_uscc

KEY_PREFIX = "zpk_"


@dataclass(frozen=True)
class Registration:
    organization_name: str
    organization_name_en: str
    uscc: str
    contact_name: str
    mobile: str
    email: str
    username: str
    password: str


@transaction.atomic
def enterprise_register(*, data: Registration) -> User:
    """Create an enterprise organization and its first user, its administrator.

    The USCC identifies the enterprise: a second registration with the same code is refused, so an
    enterprise exists once on the platform (一次备案、多主体共享 starts here).
    """
    uscc = data.uscc.strip().upper()
    if not is_valid_uscc(uscc):
        raise ApplicationError(_("The unified social credit code is not valid."), code="uscc_invalid",
                               field="uscc")
    if Organization.objects.filter(uscc=uscc).exists():
        raise Conflict(
            _("An enterprise with this unified social credit code is already registered. Ask its "
              "administrator for an account, or contact the zone office if you believe this is wrong."),
            code="uscc_taken", field="uscc",
        )
    if User.objects.filter(username__iexact=data.username).exists():
        raise Conflict(_("This user name is taken; please choose another."), code="username_taken",
                       field="username")
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                kind=Organization.Kind.ENTERPRISE, name=data.organization_name.strip(),
                name_en=data.organization_name_en.strip(), uscc=uscc,
                contact_name=data.contact_name.strip(), contact_mobile=data.mobile,
                contact_email=data.email,
            )
    except IntegrityError as exc:  # a concurrent registration with the same USCC won the race
        raise Conflict(_("An enterprise with this unified social credit code is already registered."),
                       code="uscc_taken", field="uscc") from exc
    user = User(username=data.username, email=data.email, organization=org,
                full_name=data.contact_name.strip(), mobile=data.mobile)
    user.set_password(data.password)
    user.save()
    user.groups.add(_group(roles.ENTERPRISE_ADMIN))
    audit_record(actor=user, action="accounts.organization.register", target=org,
                 changes=diff({}, snapshot(org)), organization_id=org.pk)
    audit_record(actor=user, action="accounts.user.create", target=user,
                 changes=diff({}, snapshot(user, ["username", "email", "full_name", "mobile"])),
                 organization_id=org.pk, extra={"role": roles.ENTERPRISE_ADMIN})
    return user


@transaction.atomic
def user_create(*, actor: User, organization: Organization, username: str, email: str, full_name: str,
                mobile: str, role: str, password: str | None = None) -> User:
    """Create a user of ``organization`` with one role.

    A zone administrator creates officers of any department; an enterprise administrator creates
    operators and administrators of its own enterprise only. The role must fit the organization.
    """
    if role not in roles.ROLES:
        raise ApplicationError(_("Unknown role."), code="role_unknown", field="role")
    if roles.ROLES[role].org_kind != organization.kind:
        raise ApplicationError(_("This role does not belong to this kind of organization."),
                               code="role_org_mismatch", field="role")
    actor_role = roles.role_of(actor)
    is_zone_admin = actor.is_superuser or (actor_role and actor_role.code == roles.ZONE_ADMIN)
    own_enterprise_admin = (actor_role and actor_role.code == roles.ENTERPRISE_ADMIN
                            and actor.organization_id == organization.pk)
    if not (is_zone_admin or own_enterprise_admin):
        raise PermissionDenied(_("You may not create users for this organization."))
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("This user name is taken; please choose another."), code="username_taken",
                       field="username")
    user = User(username=username, email=email, organization=organization, full_name=full_name,
                mobile=mobile, is_staff=roles.ROLES[role].staff)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()  # the new user sets one through the password-reset email
    user.save()
    user.groups.add(_group(role))
    audit_record(actor=actor, action="accounts.user.create", target=user, organization_id=organization.pk,
                 changes=diff({}, snapshot(user, ["username", "email", "full_name", "mobile", "is_staff"])),
                 extra={"role": role})
    return user


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: str) -> User:
    """Give ``user`` exactly one role (its organization kind must fit). Zone administrators only."""
    actor_role = roles.role_of(actor)
    if not (actor.is_superuser or (actor_role and actor_role.code == roles.ZONE_ADMIN)):
        raise PermissionDenied(_("Only a zone administrator may change roles."))
    if role not in roles.ROLES or (user.organization and roles.ROLES[role].org_kind != user.organization.kind):
        raise ApplicationError(_("This role does not belong to this kind of organization."),
                               code="role_org_mismatch", field="role")
    before = sorted(user.groups.values_list("name", flat=True))
    user.groups.set([_group(role)])
    user.is_staff = roles.ROLES[role].staff
    user.save(update_fields=["is_staff"])
    audit_record(actor=actor, action="accounts.user.set_role", target=user,
                 organization_id=user.organization_id, changes={"roles": [before, [role]]})
    return user


def _group(code: str) -> Group:
    group = Group.objects.filter(name=code).first()
    if group is None:
        roles.sync_roles()
        group = Group.objects.get(name=code)
    return group


# --- API clients ------------------------------------------------------------------------------

def signing_key_for(secret: str) -> str:
    """The HMAC key a partner signs with: hex SHA-256 of its secret (docs/api-signing.md)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _fingerprint(signing_key: str) -> str:
    return hashlib.sha256(signing_key.encode("ascii")).hexdigest()[:12]


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _check_manages(actor, client_org_id: int) -> None:
    if getattr(actor, "is_superuser", False):
        return
    role = roles.role_of(actor)
    if role and role.code == roles.ZONE_ADMIN:
        return
    if actor.has_perm("accounts.manage_api_clients") and actor.organization_id == client_org_id:
        return
    raise PermissionDenied(_("Only an administrator of this enterprise may manage its API clients."))


def _clean_scopes(requested) -> list[str]:
    requested = sorted(set(requested or []))
    unknown = scopes.unknown_scopes(requested)
    if unknown:
        raise ApplicationError(_("Unknown scope: %(scopes)s") % {"scopes": ", ".join(unknown)},
                               code="scope_unknown", field="scopes")
    return requested


@transaction.atomic
def api_client_create(*, actor: User, organization: Organization, name: str,
                      scopes: list[str]) -> tuple[ApiClient, str]:
    """Create an API client for an enterprise and return it with its secret.

    The secret is returned this once and never stored: only its SHA-256 (the signing key) is kept,
    encrypted with SM4.
    """
    _check_manages(actor, organization.pk)
    if not organization.is_enterprise:
        raise ApplicationError(_("API clients belong to enterprises."), code="org_not_enterprise")
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the client a name."), code="required", field="name")
    if ApiClient.objects.filter(organization=organization, name=name, status=ApiClient.Status.ACTIVE).exists():
        raise Conflict(_("An active client with this name already exists."), code="name_taken", field="name")
    secret = _new_secret()
    signing_key = signing_key_for(secret)
    client = ApiClient.objects.create(
        organization=organization, name=name, key_id=KEY_PREFIX + secrets.token_hex(12),
        signing_key=signing_key, secret_fingerprint=_fingerprint(signing_key),
        scopes=_clean_scopes(scopes), created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, action="accounts.apiclient.create", target=client,
                 organization_id=organization.pk,
                 changes=diff({}, snapshot(client, ["name", "key_id", "scopes", "status"])))
    return client, secret


@transaction.atomic
def api_client_rotate(*, actor: User, client: ApiClient) -> str:
    """Replace the client's secret; the old one stops working at once. Returns the new secret."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    _check_manages(actor, client.organization_id)
    if not client.is_active:
        raise Conflict(_("A revoked client cannot be rotated; create a new one."), code="client_revoked")
    secret = _new_secret()
    before = client.secret_fingerprint
    client.signing_key = signing_key_for(secret)
    client.secret_fingerprint = _fingerprint(client.signing_key)
    client.rotated_at = timezone.now()
    client.save(update_fields=["signing_key", "secret_fingerprint", "rotated_at"])
    audit_record(actor=actor, action="accounts.apiclient.rotate", target=client,
                 organization_id=client.organization_id,
                 changes={"secret_fingerprint": [before, client.secret_fingerprint]})
    return secret


@transaction.atomic
def api_client_update_scopes(*, actor: User, client: ApiClient, scopes: list[str]) -> ApiClient:
    """Change which document kinds the client may submit and read."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    _check_manages(actor, client.organization_id)
    if not client.is_active:
        raise Conflict(_("A revoked client cannot be changed."), code="client_revoked")
    before = list(client.scopes)
    client.scopes = _clean_scopes(scopes)
    client.save(update_fields=["scopes"])
    if before != client.scopes:
        audit_record(actor=actor, action="accounts.apiclient.change_scopes", target=client,
                     organization_id=client.organization_id, changes={"scopes": [before, client.scopes]})
    return client


@transaction.atomic
def api_client_revoke(*, actor: User, client: ApiClient, reason: str = "") -> ApiClient:
    """Revoke a client for good. Revoking a revoked client changes nothing."""
    updated = ApiClient.objects.filter(pk=client.pk, status=ApiClient.Status.ACTIVE)
    _check_manages(actor, client.organization_id)
    now = timezone.now()
    # Conditional update: two admins revoking at once produce one event, not two.
    if updated.update(status=ApiClient.Status.REVOKED, revoked_at=now) == 0:
        client.refresh_from_db()
        return client
    client.refresh_from_db()
    audit_record(actor=actor, action="accounts.apiclient.revoke", target=client,
                 organization_id=client.organization_id, changes={"status": ["active", "revoked"]},
                 extra={"reason": reason[:500]} if reason else None)
    return client
