"""Load the demo parks, enterprises, filings and goods of information sharing."""

import time

from django.core.management.base import BaseCommand, CommandError

from filings import demo
from filings.hub.demo import hub_demo_load


class Command(BaseCommand):
    help = (
        "Create the demo parks, 41 enterprises with filings in mixed states and over 1,000 goods. "
        "Run `load_codes` and `load_demo` first. Idempotent: a second run creates nothing."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            result = demo.filings_demo_load()
        except demo.DemoPrerequisiteMissing as exc:
            raise CommandError(str(exc)) from exc
        filings = ", ".join(f"{state} {n}" for state, n in sorted(result.filings_created.items())) or "none"
        self.stdout.write(
            f"parks: {result.parks_created} created, {result.parks_existing} already there; "
            f"enterprises: {result.enterprises_created} created, {result.enterprises_existing} already there; "
            f"enterprise admins: {result.users_created} created"
        )
        self.stdout.write(f"filings created: {filings}; {result.filings_existing} already there")
        self.stdout.write(f"goods: {result.goods_created} created, {result.goods_existing} already there")
        hub = hub_demo_load()
        self.stdout.write(f"declarations: {hub.accepted} accepted, {hub.refused} refused, {hub.existing} already there "
                          f"({time.monotonic() - started:.1f}s)")
