"""Officers' sessions end after ``OFFICER_IDLE_TIMEOUT`` seconds without a request."""

from django.conf import settings


class OfficerIdleTimeoutMiddleware:
    """Sliding idle expiry for officers (30 minutes by default); enterprise users keep the default.

    Setting the expiry on every request makes the session store save it, which renews the
    deadline: the session expires only after a full idle period.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "is_officer", False):
            request.session.set_expiry(settings.OFFICER_IDLE_TIMEOUT)
        return self.get_response(request)
