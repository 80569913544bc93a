from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Organizations, users, roles and partner API clients."""

    name = "zone_portal.accounts"
    label = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        from .roles import sync_roles

        post_migrate.connect(sync_roles, dispatch_uid="accounts.sync_roles")
