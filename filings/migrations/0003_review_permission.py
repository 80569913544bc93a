"""The permission to decide on enterprise filings for one's department, and the sequence that
numbers filings (``ZF`` + year + six digits; a PostgreSQL sequence never hands out a number twice)."""

from django.db import migrations


def add_permission(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _created = ContentType.objects.get_or_create(app_label="filings", model="enterprisefiling")
    Permission.objects.get_or_create(content_type=content_type, codename="review_enterprisefiling",
                                     defaults={"name": "Can review enterprise filings for the department"})


def remove_permission(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="filings", codename="review_enterprisefiling").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0002_default_review_matrix"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(add_permission, remove_permission),
        migrations.RunSQL("CREATE SEQUENCE IF NOT EXISTS filings_enterprise_filing_no_seq START 1",
                          "DROP SEQUENCE IF EXISTS filings_enterprise_filing_no_seq"),
    ]
