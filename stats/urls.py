"""Enterprise pages of the statistics monitoring system (统计监测)."""

app_name = "stats"
urlpatterns: list = []
