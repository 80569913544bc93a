"""Factories for the export summary declaration (汇总申报) and the 无票免税 register: plain rows
for tests of pages, exports and permissions (the grouping tests release lists through the hub
and run the monthly job instead)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from filings.summary.keys import DEFAULT_GROUPING
from filings.summary.models import ExemptionRecord, Summary, SummaryItem, SummaryLine, SummaryRun
from tests.accounts.factories import OrganizationFactory
from tests.filings.factories import DeclarationFactory

ZONE = ZoneInfo("Asia/Shanghai")
MONTH = date(2026, 10, 1)
HEAD_KEYS = DEFAULT_GROUPING[0][1]["head"]
LINE_KEYS = DEFAULT_GROUPING[0][1]["lines"]


class ExportListFactory(DeclarationFactory):
    """A released retail-export list (CEB603, statisticsFlag B) of ``MONTH`` (a plain row)."""

    kind = "CEB603"
    direction = "E"
    doc_type = "inventory"
    business_key = factory.LazyAttribute(lambda o: f"{o.organization.uscc}|{o.cop_no}")
    order_no = factory.Sequence(lambda n: f"EXP-{n:06d}")
    ebc_code = factory.LazyAttribute(lambda o: o.organization.uscc)
    agent_code = factory.LazyAttribute(lambda o: o.organization.uscc)
    cop_no = factory.Sequence(lambda n: f"COP-E{n:06d}")
    invt_no = factory.Sequence(lambda n: f"29002026E8{n:08d}")
    logistics_no = factory.LazyAttribute(lambda o: f"EWB-{o.order_no}")
    trade_mode = "9610"
    list_state = "released"
    released_at = datetime(2026, 10, 15, 10, 0, tzinfo=ZONE)


class SummaryRunFactory(factory.django.DjangoModelFactory):
    """The monthly job's run over ``MONTH``, with the default keys, that made one summary of one list."""

    class Meta:
        model = SummaryRun

    trigger = SummaryRun.Trigger.MONTHLY
    month = MONTH
    window_start = factory.LazyAttribute(lambda o: datetime.combine(o.month, time(), tzinfo=ZONE))
    window_end = factory.LazyAttribute(
        lambda o: datetime.combine(date(o.month.year + o.month.month // 12, o.month.month % 12 + 1, 1), time(),
                                   tzinfo=ZONE))
    summary_flag = "2"
    head_keys = factory.LazyFunction(lambda: list(HEAD_KEYS))
    line_keys = factory.LazyFunction(lambda: list(LINE_KEYS))
    list_count = 1
    item_count = 1
    summary_count = 1
    seconds = 0.01


class SummaryFactory(factory.django.DjangoModelFactory):
    """A generated (not yet confirmed) summary declaration of one consignor, air transport to
    Britain through 2900; numbered like the monthly job numbers them."""

    class Meta:
        model = Summary

    run = factory.SubFactory(SummaryRunFactory)
    organization = factory.SubFactory(OrganizationFactory)
    parties = factory.LazyAttribute(lambda o: [o.organization.pk])
    month = factory.LazyAttribute(lambda o: o.run.month)
    key_values = factory.LazyAttribute(lambda o: {"ebcCode": o.ebc_code, "trafMode": o.traf_mode,
                                                  "ownerCode": o.owner_code, "country": o.country,
                                                  "portCode": o.port_code})
    group_key = factory.LazyAttribute(lambda o: "\x1f".join(o.key_values[k] for k in o.run.head_keys))
    guid = factory.LazyFunction(lambda: str(uuid.uuid4()).upper())
    # the job numbers summaries from the table's id sequence; these stay clear of it
    sum_no = factory.Sequence(lambda n: f"29002026H{800000000 + n:09d}")
    decl_seq_no = factory.LazyAttribute(lambda o: o.sum_no.replace("H", "D", 1))
    customs_code = "2900"
    ebc_code = factory.LazyAttribute(lambda o: o.organization.uscc)
    ebc_name = factory.LazyAttribute(lambda o: o.organization.name)
    owner_code = factory.LazyAttribute(lambda o: o.organization.uscc)
    owner_name = factory.LazyAttribute(lambda o: o.organization.name)
    traf_mode = "5"
    country = "303"
    port_code = "2900"
    agent_code = factory.LazyAttribute(lambda o: o.organization.uscc)
    agent_name = factory.LazyAttribute(lambda o: o.organization.name)
    gross_weight = Decimal("1.20000")
    net_weight = Decimal("1.00000")
    list_count = 1
    item_count = 1
    line_count = 1


class SummaryLineFactory(factory.django.DjangoModelFactory):
    """The first line of a summary: face creams to Britain, priced in CNY."""

    class Meta:
        model = SummaryLine

    summary = factory.SubFactory(SummaryFactory)
    gseqno = 1
    key_values = factory.LazyAttribute(lambda o: {"country": o.country, "gcode": o.gcode, "currency": o.currency})
    group_key = factory.LazyAttribute(lambda o: "\x1f".join(o.key_values[k] for k in LINE_KEYS))
    gcode = "3304990000"
    gname = "其他美容品或化妆品及护肤品"
    country = "303"
    currency = "142"
    unit = "011"
    qty = Decimal("2")
    unit1 = "035"
    qty1 = Decimal("0.10000")
    total_price = Decimal("120.00000")
    item_count = 1


class SummaryItemFactory(factory.django.DjangoModelFactory):
    """One line of a released export list, mapped to the first line of its summary."""

    class Meta:
        model = SummaryItem

    summary = factory.SubFactory(SummaryFactory)
    gseqno = 1
    declaration = factory.SubFactory(ExportListFactory, organization=factory.SelfAttribute("..summary.organization"))
    invt_no = factory.LazyAttribute(lambda o: o.declaration.invt_no)
    logistics_no = factory.LazyAttribute(lambda o: o.declaration.logistics_no)
    gnum = 1
    gcode = "3304990000"


class ExemptionRecordFactory(factory.django.DjangoModelFactory):
    """The 无票免税 record of the first line of a released export list: two face creams at 60 CNY."""

    class Meta:
        model = ExemptionRecord

    declaration = factory.SubFactory(ExportListFactory)
    organization = factory.LazyAttribute(lambda o: o.declaration.organization)
    ebc_code = factory.LazyAttribute(lambda o: o.declaration.ebc_code)
    ebc_name = factory.LazyAttribute(lambda o: o.declaration.organization.name)
    invt_no = factory.LazyAttribute(lambda o: o.declaration.invt_no)
    gnum = 1
    export_date = factory.LazyAttribute(lambda o: o.declaration.released_at.astimezone(ZONE).date())
    goods_name = "保湿面霜"
    unit = "011"
    quantity = Decimal("2")
    unit_price = Decimal("60.00000")
    amount = Decimal("120.00000")
    currency = "142"
    gcode = "3304990000"
    statistics_flag = "B"
    trade_mode = "9610"
