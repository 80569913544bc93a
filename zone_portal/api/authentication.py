from rest_framework.authentication import BaseAuthentication


class SignedRequestAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None
