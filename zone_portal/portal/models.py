"""The offline side of the zone (线下产业园区平台): parks, incubators and the like."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Park(models.Model):
    """A park, incubator, training base, overseas warehouse or O2O store of the zone.

    Enterprises name the park they sit in on their filing; statistics group by it.
    """

    class Kind(models.TextChoices):
        INDUSTRIAL_PARK = "industrial_park", _("Industrial park (产业园区)")
        INCUBATOR = "incubator", _("Incubator (孵化器)")
        TRAINING_BASE = "training_base", _("Training base (培训基地)")
        OVERSEAS_WAREHOUSE = "overseas_warehouse", _("Overseas warehouse (海外仓)")
        O2O_STORE = "o2o_store", _("O2O experience store (O2O体验店)")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    division_code = models.CharField(_("administrative division code"), max_length=6, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("park (园区)")
        verbose_name_plural = _("parks (园区)")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
