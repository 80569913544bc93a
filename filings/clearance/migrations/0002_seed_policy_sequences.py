"""The dated policy rows this platform starts with (customs.md §4.1, §4.2), the sequences that number
lists and tax bills, and two small partial indexes the clearance sweep needs on the hub's table."""

from datetime import date
from decimal import Decimal

from django.db import migrations

POLICIES = [
    (date(2016, 4, 8), Decimal("2000"), Decimal("20000"), Decimal("0.7"), "general_trade",
     "财关税〔2016〕18号 (from 2016-04-08)",
     "Single transaction ≤ 2,000, ≤ 20,000 per person a year; tariff 0, VAT and consumption tax at 70 %. "
     "A single indivisible item over 2,000 is taxed in full as general trade."),
    (date(2019, 1, 1), Decimal("5000"), Decimal("26000"), Decimal("0.7"), "full_tax",
     "财关税〔2018〕49号 (from 2019-01-01); [2nd] gov.cn content_5440499, MOFCOM claw 65769",
     "Single transaction ≤ 5,000, ≤ 26,000 per person a year; tariff 0, VAT and consumption tax at 70 %. "
     "[MEM, verify] one indivisible item above 5,000 but within 26,000 may use the channel, taxed in full at "
     "goods rates and counted toward the annual total."),
]

WINDOWS = [
    ("I", date(2016, 4, 8), 30, "[2nd] badvb.cn new_118486545; [MEM] GACC 公告2020年第45号",
     "Retail-import returns (CEB625) within 30 days of release; goods back at the supervised site within 45 days. "
     "Valid-from date: the retail-import policy's start, not verified."),
    ("E", date(2020, 6, 12), 365, "[2nd] shchhyl.cn article 63939; GACC 公告2020年第44号",
     "Retail-export returns (CEB213) within one year of export release. Valid-from date not verified."),
]

SEQUENCES = ["clearance_invt_no_i_seq", "clearance_invt_no_e_seq", "clearance_tax_no_seq"]


def seed(apps, schema_editor):
    Policy = apps.get_model("clearance", "RetailImportPolicy")
    Window = apps.get_model("clearance", "ReturnWindow")
    for valid_from, single, annual, factor, rule, source, notes in POLICIES:
        Policy.objects.get_or_create(valid_from=valid_from, defaults={
            "single_limit": single, "annual_limit": annual, "tax_factor": factor, "single_item_rule": rule,
            "source": source, "notes": notes})
    for direction, valid_from, days, source, notes in WINDOWS:
        Window.objects.get_or_create(direction=direction, valid_from=valid_from,
                                     defaults={"days": days, "source": source, "notes": notes})


class Migration(migrations.Migration):

    dependencies = [
        ("clearance", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        *[migrations.RunSQL(f"CREATE SEQUENCE IF NOT EXISTS {name} START 1",
                            f"DROP SEQUENCE IF EXISTS {name}") for name in SEQUENCES],
        # The sweep looks for lists left reconciled and requests left unprocessed: a few rows at any
        # time among millions, so partial indexes that hold only those rows (cheap for the hub's ingest).
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS clearance_reconciled_lists_idx ON filings_declaration (id) "
            "WHERE list_state = 'reconciled' AND NOT deleted",
            "DROP INDEX IF EXISTS clearance_reconciled_lists_idx"),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS clearance_open_requests_idx ON filings_declaration (id) "
            "WHERE doc_type IN ('cancel', 'refund') AND return_status = '120' AND NOT deleted",
            "DROP INDEX IF EXISTS clearance_open_requests_idx"),
    ]
