"""The API answers in a format it has, whatever the client's Accept header says.

A browser asks for HTML first; DRF would answer 406. Views with several formats (the OpenAPI
schema: YAML and JSON) still honour Accept and ``?format=``.
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JsonOnlyContentNegotiation(DefaultContentNegotiation):
    """Negotiate as DRF does; where nothing matches, render with the view's first renderer (JSON)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
