"""Re-encrypt personal data under the first key of FIELD_ENCRYPTION_KEYS (see keyrotation.py)."""

from django.core.management.base import BaseCommand

from zone_portal.core import crypto
from zone_portal.core.keyrotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the current key; --reindex also recomputes blind indexes."

    def add_arguments(self, parser):
        parser.add_argument("--reindex", action="store_true",
                            help="recompute every blind index (after changing BLIND_INDEX_KEY)")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, reindex, batch_size, **options):
        self.stdout.write(f"current key: {crypto.current_key_id()}")
        remaining = 0
        for report in rotate_all(reindex=reindex, batch_size=batch_size):
            remaining += report.remaining
            self.stdout.write(f"{report.model}: re-encrypted {report.reencrypted}, "
                              f"reindexed {report.reindexed}, remaining {report.remaining}")
        if remaining:
            self.stderr.write(self.style.ERROR(f"{remaining} values are still under an old key"))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("every value is under the current key"))
