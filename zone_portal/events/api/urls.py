"""Routes of the events and webhooks API; the project mounts them under ``/api/v1/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("events/", views.EventFeedView.as_view(), name="events-feed"),
    path("events/types/", views.EventTypeListView.as_view(), name="events-types"),
    path("webhooks/endpoints/", views.WebhookEndpointListView.as_view(), name="webhooks-endpoints"),
    path("webhooks/endpoints/<int:pk>/", views.WebhookEndpointDetailView.as_view(), name="webhooks-endpoint"),
    path("webhooks/endpoints/<int:pk>/rotate-secret/", views.WebhookEndpointRotateSecretView.as_view(),
         name="webhooks-endpoint-rotate-secret"),
    path("webhooks/endpoints/<int:pk>/disable/", views.WebhookEndpointDisableView.as_view(),
         name="webhooks-endpoint-disable"),
    path("webhooks/endpoints/<int:pk>/enable/", views.WebhookEndpointEnableView.as_view(),
         name="webhooks-endpoint-enable"),
    path("webhooks/endpoints/<int:pk>/deliveries/", views.WebhookDeliveryListView.as_view(),
         name="webhooks-endpoint-deliveries"),
    path("webhooks/deliveries/<int:pk>/resend/", views.WebhookDeliveryResendView.as_view(),
         name="webhooks-delivery-resend"),
]
