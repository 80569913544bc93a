"""Enterprise pages of the information sharing system (信息共享)."""

app_name = "filings"
urlpatterns: list = []
