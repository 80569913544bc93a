"""Every model of the project has a factory, and each factory makes a row that passes validation."""

import factory
import pytest
from django.apps import apps

from tests.accounts import factories as account_factories
from tests.codes import factories as code_factories
from tests.events import factories as event_factories
from tests.filings import factories as filing_factories
from tests.filings.clearance import factories as clearance_factories
from tests.filings.reconciliation import factories as reconciliation_factories
from tests.filings.summary import factories as summary_factories

PROJECT_APPS = {"accounts", "audit", "codes", "portal", "events", "filings", "logistics", "finance", "credit", "risk",
                "stats", "reconciliation", "clearance", "summary"}
MODULES = (account_factories, code_factories, event_factories, filing_factories, reconciliation_factories,
           clearance_factories, summary_factories)


def _factories():
    seen = set()
    for module in MODULES:
        for obj in vars(module).values():
            # a module also holds the factories it imports: each factory once
            if (isinstance(obj, type) and issubclass(obj, factory.Factory) and obj._meta.model is not None
                    and obj not in seen):
                seen.add(obj)
                yield obj


def _model_of(factory_class):
    model = factory_class._meta.model
    return apps.get_model(model) if isinstance(model, str) else model


def test_every_project_model_has_a_factory():
    covered = {_model_of(f) for f in _factories()}
    models = {m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS}
    missing = sorted(m._meta.label for m in models - covered)
    assert not missing, f"models without a factory: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", list(_factories()), ids=lambda f: f.__name__)
def test_factory_makes_a_valid_row(factory_class):
    obj = factory_class()
    obj.full_clean(validate_unique=False)
    assert type(obj)._default_manager.filter(pk=obj.pk).exists()
