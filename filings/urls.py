"""Enterprise pages of the information sharing system (信息共享)."""

from django.urls import path

from . import views, views_public

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
]
