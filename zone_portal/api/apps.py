from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The partner API's shared layer: signing, scopes, throttling, idempotency, errors, docs."""

    name = "zone_portal.api"
    label = "api"
    verbose_name = _("Partner API")

    def ready(self) -> None:
        from . import schema  # noqa: F401  registers the OpenAPI description of the signed scheme
