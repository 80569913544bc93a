from rest_framework.throttling import SimpleRateThrottle


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_cache_key(self, request, view):
        return None
