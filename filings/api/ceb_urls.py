"""Routes of the CEB XML door; the project mounts them at ``/api/v1/ceb/``."""

from django.urls import path

from . import hub_views

urlpatterns = [
    path("", hub_views.CebView.as_view(), name="ceb-declare"),
    path("receipts/", hub_views.CebReceiptFeedView.as_view(), name="ceb-receipts"),
]
