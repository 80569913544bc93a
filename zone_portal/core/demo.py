"""The demo data set behind ``manage.py load_demo``: departments, enterprises, one login per role.

Everything is found or created by its natural key — an enterprise by its 统一社会信用代码, a
department by its kind and name, a user by its username — so loading twice creates nothing new
and changes nothing that is already there (a demo password someone changed stays changed).
Each organization and user it creates gets an audit event with the system as actor.

The names are made up; the USCCs are fixed, valid GB 32100 codes (area 330109, with a valid
GB 11714 organization code inside), so that the same demo enterprise has the same code on every
machine.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.db import connection, transaction

from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization, User
from zone_portal.audit.services import audit_record, diff, snapshot

K = Organization.Kind

# ≥ 10 characters and all four character classes: passes the portal's password policy, which
# ``demo_load`` checks again for every user rather than trusting this comment.
DEMO_PASSWORD = "Demo!2026zone"


@dataclass(frozen=True)
class DemoOrganization:
    key: str
    kind: str
    name: str
    name_en: str
    uscc: str | None = None
    contact_name: str = ""
    contact_mobile: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class DemoUser:
    role: str
    username: str
    organization: str  # DemoOrganization.key
    full_name: str
    mobile: str
    email: str


ORGANIZATIONS: tuple[DemoOrganization, ...] = (
    DemoOrganization("zone_office", K.ZONE_OFFICE, "综试区管理委员会办公室", "Pilot Zone Administration Office"),
    DemoOrganization("customs", K.CUSTOMS, "综试区海关", "Pilot Zone Customs"),
    # A subordinate customs house (隶属海关) under the zone's customs, where parcels are inspected.
    DemoOrganization("customs_airport", K.CUSTOMS, "综试区空港海关", "Pilot Zone Airport Customs"),
    DemoOrganization("tax", K.TAX, "国家税务总局综试区税务局", "Pilot Zone Tax Bureau, STA"),
    DemoOrganization("forex", K.FOREX, "国家外汇管理局综试区分局", "Pilot Zone Branch, SAFE"),
    DemoOrganization("commerce", K.COMMERCE, "综试区商务局", "Pilot Zone Commerce Bureau"),
    DemoOrganization("market", K.MARKET, "综试区市场监督管理局", "Pilot Zone Administration for Market Regulation"),
    DemoOrganization("bank", K.BANK, "示范商业银行综试区分行", "Demonstration Commercial Bank, Pilot Zone Branch"),
    DemoOrganization(
        "ebc", K.ENTERPRISE, "云帆跨境电子商务有限公司", "Yunfan Cross-border E-commerce Co., Ltd.",
        uscc="91330109MA01YF08XP", contact_name="陈晓明", contact_mobile="13900000101",
        contact_email="contact@yunfan.example.com",
    ),
    DemoOrganization(
        "ebp", K.ENTERPRISE, "海贸通电子商务平台有限公司", "Haimaotong E-commerce Platform Co., Ltd.",
        uscc="91330109MA02HM1836", contact_name="林海", contact_mobile="13900000102",
        contact_email="contact@haimaotong.example.com",
    ),
    DemoOrganization(
        "logistics", K.ENTERPRISE, "迅达国际物流有限公司", "Xunda International Logistics Co., Ltd.",
        uscc="91330109MA03XD283H", contact_name="许达", contact_mobile="13900000103",
        contact_email="contact@xunda.example.com",
    ),
    DemoOrganization(
        "payment", K.ENTERPRISE, "汇联支付科技有限公司", "Huilian Payment Technology Co., Ltd.",
        uscc="91330109MA04HL385M", contact_name="何琳", contact_mobile="13900000104",
        contact_email="contact@huilian.example.com",
    ),
    DemoOrganization(
        "warehouse", K.ENTERPRISE, "港湾保税仓储有限公司", "Gangwan Bonded Warehousing Co., Ltd.",
        uscc="91330109MA05GW4876", contact_name="顾文", contact_mobile="13900000105",
        contact_email="contact@gangwan.example.com",
    ),
)

# One login per role, in the order of ``roles.ROLES``.
USERS: tuple[DemoUser, ...] = (
    DemoUser(roles.ENTERPRISE_ADMIN, "demo_ent_admin", "ebc", "陈晓明", "13900000201",
             "ent.admin@yunfan.example.com"),
    DemoUser(roles.ENTERPRISE_OPERATOR, "demo_ent_operator", "ebc", "王丽", "13900000202",
             "ent.operator@yunfan.example.com"),
    DemoUser(roles.CUSTOMS_OFFICER, "demo_customs", "customs", "刘强", "13900000203",
             "customs@zone.example.gov.cn"),
    DemoUser(roles.TAX_OFFICER, "demo_tax", "tax", "赵敏", "13900000204", "tax@zone.example.gov.cn"),
    DemoUser(roles.FOREX_OFFICER, "demo_forex", "forex", "孙磊", "13900000205", "forex@zone.example.gov.cn"),
    DemoUser(roles.BANK_OFFICER, "demo_bank", "bank", "周静", "13900000206", "bank@demobank.example.com"),
    DemoUser(roles.COMMERCE_OFFICER, "demo_commerce", "commerce", "吴刚", "13900000207",
             "commerce@zone.example.gov.cn"),
    DemoUser(roles.MARKET_OFFICER, "demo_market", "market", "郑芳", "13900000208", "market@zone.example.gov.cn"),
    DemoUser(roles.ZONE_ADMIN, "demo_zone_admin", "zone_office", "黄伟", "13900000209",
             "admin@zone.example.gov.cn"),
)

# Concurrent runs (two ``make run`` at once) take turns: departments have no unique key.
_LOCK_ID = zlib.crc32(b"zone_portal.core.demo") & 0x7FFFFFFF


@dataclass(frozen=True)
class DemoLogin:
    role: str
    label: str
    username: str
    password: str


@dataclass
class DemoLoadResult:
    organizations_created: list[str] = field(default_factory=list)
    organizations_existing: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    users_existing: list[str] = field(default_factory=list)


def demo_logins() -> list[DemoLogin]:
    """The demo login of every role (role, its label, username, password); reads nothing."""
    return [
        DemoLogin(role=u.role, label=str(roles.ROLES[u.role].label), username=u.username, password=DEMO_PASSWORD)
        for u in USERS
    ]


@transaction.atomic
def demo_load() -> DemoLoadResult:
    """Create the demo organizations and one user per role, each once; audit what was created.

    Users get exactly their role's group and its staff flag: officers (zone administrator
    included) may enter the back office, enterprise users may not; nobody is a superuser.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
    roles.sync_roles()
    result = DemoLoadResult()

    organizations: dict[str, Organization] = {}
    for spec in ORGANIZATIONS:
        org, created = _organization_get_or_create(spec)
        organizations[spec.key] = org
        (result.organizations_created if created else result.organizations_existing).append(org.name)

    for spec in USERS:
        user, created = _user_get_or_create(spec, organizations[spec.organization])
        (result.users_created if created else result.users_existing).append(user.username)
    return result


def _organization_get_or_create(spec: DemoOrganization) -> tuple[Organization, bool]:
    lookup = {"uscc": spec.uscc} if spec.uscc else {"kind": spec.kind, "name": spec.name, "uscc": None}
    org = Organization.objects.filter(**lookup).order_by("pk").first()
    if org is not None:
        return org, False
    org = Organization.objects.create(
        kind=spec.kind, name=spec.name, name_en=spec.name_en, uscc=spec.uscc,
        contact_name=spec.contact_name, contact_mobile=spec.contact_mobile, contact_email=spec.contact_email,
    )
    audit_record(actor=None, action="accounts.organization.create", target=org, organization_id=org.pk,
                 changes=diff({}, snapshot(org)), extra={"source": "load_demo"})
    return org, True


def _user_get_or_create(spec: DemoUser, organization: Organization) -> tuple[User, bool]:
    existing = User.objects.filter(username__iexact=spec.username).first()
    if existing is not None:
        return existing, False
    role = roles.ROLES[spec.role]
    user = User(
        username=spec.username, email=spec.email, organization=organization, full_name=spec.full_name,
        mobile=spec.mobile, is_staff=role.staff, is_superuser=False,
    )
    password_validation.validate_password(DEMO_PASSWORD, user)
    user.set_password(DEMO_PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=spec.role))
    audit_record(
        actor=None, action="accounts.user.create", target=user, organization_id=organization.pk,
        changes=diff({}, snapshot(user, ["username", "email", "full_name", "mobile", "is_staff"])),
        extra={"role": spec.role, "source": "load_demo"},
    )
    return user, True
