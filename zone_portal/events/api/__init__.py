"""The partner API of events and webhooks (``/api/v1/events/``, ``/api/v1/webhooks/``)."""
