"""Load the reference code tables from CSV files (the bundled ones, or an official set)."""

import time

from django.core.management.base import BaseCommand, CommandError

from zone_portal.codes.services import TABLES, codes_load


class Command(BaseCommand):
    help = (
        "Load the reference code tables (countries, currencies, units, HS codes …) from CSV files. "
        "Idempotent: rows are upserted by their code, and a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", action="append", choices=list(TABLES), metavar="TABLE",
            help=f"load only this table (repeatable); one of: {', '.join(TABLES)}",
        )
        parser.add_argument(
            "--path", metavar="DIR",
            help="directory with CSV files in the bundled formats (e.g. an official tariff); "
            "files that are absent are skipped",
        )

    def handle(self, *args, only=None, path=None, **options):
        started = time.monotonic()
        results = codes_load(path=path, only=only)
        failed = 0
        for result in results:
            if result.errors:
                failed += 1
                self.stderr.write(self.style.ERROR(
                    f"{result.table}: {len(result.errors)} error(s), nothing written"))
                for error in result.errors[:50]:
                    self.stderr.write(f"  {error}")
                if len(result.errors) > 50:
                    self.stderr.write(f"  … and {len(result.errors) - 50} more")
                continue
            for model, counts in result.counts.items():
                self.stdout.write(
                    f"{result.table:<18} {model:<15} {counts.created:>6} created "
                    f"{counts.updated:>6} updated {counts.unchanged:>6} unchanged")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
        if failed:
            raise CommandError(f"{failed} table(s) had errors and were not loaded")
