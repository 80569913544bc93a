"""Factories for organizations, users and API clients."""

from __future__ import annotations

import hashlib
import secrets

import factory
from django.contrib.auth.models import Group

from zone_portal.accounts import roles
from zone_portal.accounts.models import ApiClient, Organization, User
from zone_portal.accounts.validators import uscc_check_char

_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(n: int) -> str:
    """A valid USCC, distinct for each n: 91 + 110105 (a real area code) + 9-character body."""
    body = ""
    for _ in range(9):
        n, r = divmod(n, 31)
        body = _USCC_BODY[r] + body
    first17 = "91110105" + body
    return first17 + uscc_check_char(first17)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.ENTERPRISE
    name = factory.Sequence(lambda n: f"测试跨境电商有限公司{n}")
    name_en = factory.Sequence(lambda n: f"Test Cross-border Co. {n}")
    uscc = factory.Sequence(lambda n: make_uscc(1000 + n))
    contact_name = "张三"
    contact_mobile = factory.Sequence(lambda n: f"138{n:08d}")
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.com")


class DepartmentFactory(OrganizationFactory):
    kind = Organization.Kind.CUSTOMS
    name = factory.Sequence(lambda n: f"测试海关{n}")
    uscc = None


DEPARTMENT_OF_ROLE = {code: role.org_kind for code, role in roles.ROLES.items()}


class UserFactory(factory.django.DjangoModelFactory):
    """An enterprise operator by default; pass ``role=`` for another role."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = "李四"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    organization = factory.SubFactory(OrganizationFactory)
    password = factory.PostGenerationMethodCall("set_password", "Passw0rd!Zone")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        code = extracted or roles.ENTERPRISE_OPERATOR
        if not create:
            return
        roles.sync_roles()
        self.groups.add(Group.objects.get(name=code))
        self.is_staff = roles.ROLES[code].staff
        self.save()


class OfficerFactory(UserFactory):
    organization = factory.SubFactory(DepartmentFactory)


class ApiClientFactory(factory.django.DjangoModelFactory):
    """An API client; the plaintext secret is kept on the instance as ``_secret`` for tests."""

    class Meta:
        model = ApiClient

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"partner-system-{n}")
    key_id = factory.Sequence(lambda n: f"zpk_test{n:016d}")
    scopes = factory.LazyFunction(lambda: ["order:write", "order:read"])

    @factory.lazy_attribute
    def _secret(self):
        return secrets.token_urlsafe(32)

    @factory.lazy_attribute
    def signing_key(self):
        return hashlib.sha256(self._secret.encode()).hexdigest()

    @factory.lazy_attribute
    def secret_fingerprint(self):
        return hashlib.sha256(self.signing_key.encode()).hexdigest()[:12]

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        secret = kwargs.pop("_secret")
        obj = super()._create(model_class, *args, **kwargs)
        obj._secret = secret
        return obj


class AuditEventFactory(factory.django.DjangoModelFactory):
    """An audit event as a service would write it (tests that need history without a service)."""

    class Meta:
        model = "audit.AuditEvent"

    actor_user = factory.SubFactory(UserFactory)
    actor_label = factory.LazyAttribute(lambda o: o.actor_user.username)
    organization = factory.LazyAttribute(lambda o: o.actor_user.organization)
    action = "accounts.user.change"
    changes = factory.LazyFunction(lambda: {"email": ["old@example.com", "new@example.com"]})


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Notification"

    organization = factory.SubFactory(OrganizationFactory)
    verb = "filings.enterprisefiling.approve"
    title = "企业备案已通过"
    body = "您的企业备案已由全部相关部门审核通过。"


class ParkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "portal.Park"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"跨境电商产业园{n}")
    kind = "industrial_park"
