"""Enterprise pages of the credit system (电商信用)."""

app_name = "credit"
urlpatterns: list = []
