"""Routes of the filings API; the project mounts them at ``/api/v1/filings/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("enterprises/<str:uscc>/", views.EnterpriseFilingStatusView.as_view(), name="filings-enterprise-status"),
    path("goods/", views.GoodsView.as_view(), name="filings-goods"),
    path("goods/bulk/", views.GoodsBulkView.as_view(), name="filings-goods-bulk"),
    path("goods/<str:item_no>/", views.GoodsDetailView.as_view(), name="filings-goods-detail"),
    path("goods/<str:item_no>/submit/", views.GoodsSubmitView.as_view(), name="filings-goods-submit"),
]
