"""Every model of the project has a factory, and each factory makes a row that passes validation."""

import factory
import pytest
from django.apps import apps

from tests.accounts import factories as account_factories
from tests.codes import factories as code_factories
from tests.events import factories as event_factories
from tests.filings import factories as filing_factories

PROJECT_APPS = {"accounts", "audit", "codes", "portal", "events", "filings", "logistics", "finance", "credit", "risk",
                "stats"}


def _factories():
    for module in (account_factories, code_factories, event_factories, filing_factories):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, factory.Factory) and obj._meta.model is not None:
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
