"""Enterprise pages of the risk control system (风险防控)."""

app_name = "risk"
urlpatterns: list = []
