"""Factories for events, webhook endpoints and deliveries (tests that need rows without the
services; the services themselves are what the other tests use)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import factory
from django.utils import timezone

from tests.accounts.factories import OrganizationFactory
from zone_portal.events.models import Event, WebhookDelivery, WebhookEndpoint


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    organization = factory.SubFactory(OrganizationFactory)
    event_type = "filing.filed"
    subject = factory.Sequence(lambda n: f"ZF2026{n:06d}")
    payload = factory.LazyAttribute(lambda o: {"filing_no": o.subject})


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://erp{n}.partner.example.com/hook")
    event_types = factory.LazyFunction(lambda: ["filing.filed"])
    secret = factory.Sequence(lambda n: f"whsec_test_secret_{n:08d}")
    secret_fingerprint = factory.LazyAttribute(lambda o: hashlib.sha256(o.secret.encode()).hexdigest()[:12])


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = factory.SubFactory(EventFactory, organization=factory.SelfAttribute("..endpoint.organization"))
    retry_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
