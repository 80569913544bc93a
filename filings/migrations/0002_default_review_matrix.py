"""The default role-to-department matrix of the filing issue; the zone administrator edits it later.

customs for every role; tax for 电商企业 and 外贸综合服务企业 (refund and 无票免税 eligibility);
forex for enterprises that receive or pay foreign currency; commerce for 电商平台 and for
overseas-warehouse (9810) operators; market regulation for 生产企业.
"""

from django.db import migrations

ROLES = ["ebc", "ebp", "logistics", "payment", "warehouse", "fts", "broker", "producer"]
DEFAULTS = (
    [("role", role, "customs") for role in ROLES]
    + [("role", "ebc", "tax"), ("role", "fts", "tax"), ("role", "ebp", "commerce"), ("role", "producer", "market"),
       ("foreign_currency", "", "forex"), ("overseas_warehouse", "", "commerce")]
)


def add_defaults(apps, schema_editor):
    ReviewRule = apps.get_model("filings", "ReviewRule")
    for trigger, role, department in DEFAULTS:
        ReviewRule.objects.get_or_create(trigger=trigger, role=role, department=department)


def remove_defaults(apps, schema_editor):
    ReviewRule = apps.get_model("filings", "ReviewRule")
    for trigger, role, department in DEFAULTS:
        ReviewRule.objects.filter(trigger=trigger, role=role, department=department).delete()


class Migration(migrations.Migration):
    dependencies = [("filings", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
