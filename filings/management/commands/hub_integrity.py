"""Find receipts and versions of the declaration hub whose references point nowhere."""

from django.core.management.base import BaseCommand, CommandError

from filings.hub.integrity import hub_orphans


class Command(BaseCommand):
    help = ("Check the hub's receipts (declaration, version, organization) and versions (API client), "
            "whose references are not database constraints. Exit status 1 when any points nowhere.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=100, help="report at most this many rows per table")

    def handle(self, *args, limit: int = 100, **options):
        orphans = hub_orphans(limit=limit)
        for orphan in orphans:
            self.stdout.write(f"{orphan.table} {orphan.pk}: {orphan.reason}")
        if orphans:
            raise CommandError(f"{len(orphans)} rows with references that point nowhere")
        self.stdout.write("hub references: every receipt and version points to existing rows")
