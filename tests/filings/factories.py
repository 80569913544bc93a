"""Factories for enterprise and goods filings."""

from decimal import Decimal

import factory

from filings import models as m
from tests.accounts.factories import OrganizationFactory
from tests.codes.factories import CountryFactory, CurrencyFactory, HsCodeFactory, UnitFactory


class ReviewRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ReviewRule
        django_get_or_create = ("trigger", "role", "department")

    trigger = m.ReviewRule.Trigger.ROLE
    role = m.EnterpriseRole.EBC
    department = m.Department.CUSTOMS


class EnterpriseFilingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EnterpriseFiling

    organization = factory.SubFactory(OrganizationFactory)


class EnterpriseFilingVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EnterpriseFilingVersion

    filing = factory.SubFactory(EnterpriseFilingFactory)
    number = 1
    roles = factory.LazyFunction(lambda: [m.EnterpriseRole.EBC])
    uscc = factory.LazyAttribute(lambda o: o.filing.organization.uscc)
    name = factory.LazyAttribute(lambda o: o.filing.organization.name)
    legal_representative = "王法人"
    registered_address = "浙江省杭州市滨江区网商路699号"
    contact_name = "张三"
    contact_mobile = "13812345678"
    contact_email = "filing@example.com"
    business_scope = "跨境电子商务零售进出口；货物进出口"


class DepartmentReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.DepartmentReview

    version = factory.SubFactory(EnterpriseFilingVersionFactory)
    department = m.Department.CUSTOMS


class FilingAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.FilingAttachment

    version = factory.SubFactory(EnterpriseFilingVersionFactory)
    kind = m.FilingAttachment.Kind.BUSINESS_LICENCE
    file = factory.django.FileField(filename="licence.pdf", data=b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
    original_name = "营业执照.pdf"
    content_type = "application/pdf"
    size = 40
    sha256 = "0" * 64


class GoodsItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.GoodsItem

    organization = factory.SubFactory(OrganizationFactory)
    item_no = factory.Sequence(lambda n: f"SKU{n:06d}")


class GoodsVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.GoodsVersion

    item = factory.SubFactory(GoodsItemFactory)
    number = 1
    name = "保湿面霜"
    name_en = "Moisturising cream"
    hs_code = factory.SubFactory(HsCodeFactory)
    brand = "示例品牌"
    model_spec = "50ml"
    origin_country = factory.SubFactory(CountryFactory)
    legal_unit_1 = factory.SubFactory(UnitFactory)
    declared_unit = factory.SubFactory(UnitFactory)
    unit_price = Decimal("199.00000")
    currency = factory.SubFactory(CurrencyFactory)
    modes = factory.LazyFunction(lambda: [m.CustomsMode.M1210])
    direction = "import"
    positive_list = True


class GoodsImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.GoodsImage

    version = factory.SubFactory(GoodsVersionFactory)
    file = factory.django.FileField(filename="cream.png", data=b"\x89PNG\r\n\x1a\n")
    content_type = "image/png"
    size = 8
    sha256 = "0" * 64


def ensure_default_review_rules() -> None:
    """Recreate the default role-to-department matrix of migration 0002.

    Transactional tests end with a flush that also empties rows a data migration loaded; a
    transactional test that needs the matrix calls this first.
    """
    import importlib

    defaults = importlib.import_module("filings.migrations.0002_default_review_matrix").DEFAULTS
    for trigger, role, department in defaults:
        m.ReviewRule.objects.get_or_create(trigger=trigger, role=role, department=department)


class DeclarationFactory(factory.django.DjangoModelFactory):
    """A stored import order (the hub's ingest builds real ones; this is a plain row for model tests)."""

    class Meta:
        model = m.Declaration

    kind = "CEB311"
    direction = "I"
    doc_type = "order"
    organization = factory.SubFactory(OrganizationFactory)
    business_key = factory.Sequence(lambda n: f"91330000000000001X|ORD-{n:06d}")
    guid = factory.Sequence(lambda n: f"00000000-0000-4000-8000-{n:012d}")
    app_type = "1"
    app_status = "2"
    order_no = factory.Sequence(lambda n: f"ORD-{n:06d}")
    ebp_code = "91330000000000001X"
    amount = Decimal("223.20000")
    currency = "142"
    return_status = "120"
    parties = factory.LazyAttribute(lambda o: [o.organization.pk])


class DeclarationVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.DeclarationVersion

    declaration = factory.SubFactory(DeclarationFactory)
    number = 1
    guid = factory.LazyAttribute(lambda o: o.declaration.guid)
    app_type = "1"
    app_status = "2"
    head = factory.LazyAttribute(lambda o: {"orderNo": o.declaration.order_no, "currency": "142"})
    lines = factory.LazyFunction(list)
    personal = '{"buyerName": "李四"}'
    source = m.DeclarationVersion.Source.JSON


class DeclarationReceiptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.DeclarationReceipt

    declaration = factory.SubFactory(DeclarationFactory)
    organization = factory.LazyAttribute(lambda o: o.declaration.organization)
    kind = "CEB311"
    guid = factory.LazyAttribute(lambda o: o.declaration.guid)
    keys = factory.LazyAttribute(lambda o: {"orderNo": o.declaration.order_no})
    return_status = "120"
    return_info = "新增申报成功"
