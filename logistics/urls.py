"""Enterprise pages of the smart logistics system (智能物流)."""

app_name = "logistics"
urlpatterns: list = []
