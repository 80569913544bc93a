"""Routes of the filings API; the project mounts them at ``/api/v1/filings/``."""

from django.urls import path

from filings.clearance import api as clearance_api
from filings.reconciliation import api as reconciliation_api

from . import hub_views, views

urlpatterns = [
    path("enterprises/<str:uscc>/", views.EnterpriseFilingStatusView.as_view(), name="filings-enterprise-status"),
    path("goods/", views.GoodsView.as_view(), name="filings-goods"),
    path("goods/bulk/", views.GoodsBulkView.as_view(), name="filings-goods-bulk"),
    path("goods/<str:item_no>/", views.GoodsDetailView.as_view(), name="filings-goods-detail"),
    path("declarations/", hub_views.DeclarationView.as_view(), name="filings-declarations"),
    path("declarations/bulk/", hub_views.DeclarationBulkView.as_view(), name="filings-declarations-bulk"),
    path("declarations/<int:pk>/", hub_views.DeclarationDetailView.as_view(), name="filings-declaration-detail"),
    path("receipts/", hub_views.ReceiptFeedView.as_view(), name="filings-receipts"),
    path("lint/", hub_views.LintView.as_view(), name="filings-lint"),
    path("goods/<str:item_no>/submit/", views.GoodsSubmitView.as_view(), name="filings-goods-submit"),
    path("lists/<int:pk>/tax/", clearance_api.ListTaxView.as_view(), name="filings-list-tax"),
]
urlpatterns += [
    path("reconciliation/", reconciliation_api.ReconciliationListView.as_view(), name="filings-reconciliation"),
    path("reconciliation/<int:pk>/", reconciliation_api.ReconciliationDetailView.as_view(),
         name="filings-reconciliation-detail"),
    path("reconciliation/orders/<path:order_no>/", reconciliation_api.ReconciliationOrderView.as_view(),
         name="filings-reconciliation-order"),
]
