"""Enterprise pages of the finance system (金融服务)."""

app_name = "finance"
urlpatterns: list = []
