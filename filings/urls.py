"""Enterprise pages of the information sharing system (信息共享)."""

from django.urls import path

from . import views, views_goods, views_hub, views_public
from .clearance import views as clearance_views
from .reconciliation import views as reconciliation_views
from .summary import views as summary_views

app_name = "filings"
urlpatterns = [
    path("enterprise/", views.enterprise_filing, name="enterprise_filing"),
    path("enterprise/edit/", views.enterprise_filing_edit, name="enterprise_filing_edit"),
    path("enterprise/submit/", views.enterprise_filing_submit, name="enterprise_filing_submit"),
    path("enterprise/change/", views.enterprise_filing_start_change, name="enterprise_filing_start_change"),
    path("enterprise/revoke/", views.enterprise_filing_revoke, name="enterprise_filing_revoke"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_mark_read, name="notification_mark_read"),
    path("lookup/", views_public.lookup, name="public_lookup"),
    path("declarations/", views_hub.declaration_list, name="declaration_list"),
    path("declarations/export/", views_hub.declaration_export, name="declaration_export"),
    path("declarations/lint/", views_hub.lint, name="declaration_lint"),
    path("declarations/<int:pk>/", views_hub.declaration_detail, name="declaration_detail"),
    path("goods/", views_goods.goods_list, name="goods_list"),
    path("goods/new/", views_goods.goods_create_view, name="goods_create"),
    path("goods/<int:pk>/", views_goods.goods_detail, name="goods_detail"),
    path("goods/<int:pk>/edit/", views_goods.goods_edit, name="goods_edit"),
    path("goods/<int:pk>/submit/", views_goods.goods_submit_view, name="goods_submit"),
    path("goods/<int:pk>/change/", views_goods.goods_start_change_view, name="goods_start_change"),
    path("goods/images/<int:pk>/", views_goods.goods_image, name="goods_image"),
    path("goods/images/<int:pk>/delete/", views_goods.goods_image_delete_view, name="goods_image_delete"),
    path("goods/hs-code/", views_goods.goods_hs_lookup, name="goods_hs_lookup"),
    path("goods/template/", views_goods.goods_template_download, name="goods_template"),
    path("goods/export/", views_goods.goods_export_download, name="goods_export"),
    path("goods/import/", views_goods.goods_import_view, name="goods_import"),
    path("goods/import/<str:token>/", views_goods.goods_import_result, name="goods_import_result"),
    path("goods/import/<str:token>/report/", views_goods.goods_import_report, name="goods_import_report"),
    path("summaries/", summary_views.summary_list, name="summary_list"),
    path("summaries/<int:pk>/", summary_views.summary_detail, name="summary_detail"),
    path("summaries/<int:pk>/confirm/", summary_views.summary_confirm, name="summary_confirm"),
    path("summaries/<int:pk>/excel/", summary_views.summary_excel, name="summary_excel"),
    path("summaries/<int:pk>/pdf/", summary_views.summary_pdf, name="summary_pdf"),
    path("lists/", clearance_views.list_index, name="clearance_list"),
    path("lists/<int:pk>/", clearance_views.list_detail, name="clearance_detail"),
    path("quota/", clearance_views.consumer_quota, name="consumer_quota"),
]
urlpatterns += [
    path("reconciliation/", reconciliation_views.reconciliation_list, name="reconciliation_list"),
    path("reconciliation/<int:pk>/", reconciliation_views.reconciliation_detail, name="reconciliation_detail"),
    path("reconciliation/order/<path:order_no>/", reconciliation_views.reconciliation_order,
         name="reconciliation_order"),
]
