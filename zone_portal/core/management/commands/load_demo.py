"""Load the demo data set: departments, a few enterprises and one login per role."""

from django.core.management.base import BaseCommand

from zone_portal.core import demo


class Command(BaseCommand):
    help = (
        "Create the demo departments, enterprises and one demo login per role. Idempotent: "
        "everything is found by its natural key first, and a second run creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins-only", action="store_true",
            help="only print the demo logins (role, username, password); do not touch the database",
        )

    def handle(self, *args, logins_only=False, **options):
        if not logins_only:
            result = demo.demo_load()
            self.stdout.write(
                f"organizations: {len(result.organizations_created)} created, "
                f"{len(result.organizations_existing)} already there; "
                f"users: {len(result.users_created)} created, {len(result.users_existing)} already there"
            )
        for login in demo.demo_logins():
            self.stdout.write(f"{login.label:<28} {login.username:<20} {login.password}")
