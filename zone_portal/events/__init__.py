"""Platform events (平台事件): recorded once with the business data, pushed to partner webhooks and
served by a pull feed."""
