"""Output serializers of the API layer's own endpoints, and the error shape for the schema."""

from __future__ import annotations

from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code.")
    message = serializers.CharField(help_text="For people, in the language of Accept-Language.")
    field = serializers.CharField(allow_null=True, help_text="The input (body field, parameter or header).")


class ErrorSerializer(ErrorItemSerializer):
    """Every error answer of the API (see ``zone_portal.api.exceptions``)."""

    errors = ErrorItemSerializer(many=True, required=False,
                                 help_text="validation_error only: every problem found.")
    details = serializers.DictField(required=False, help_text="Domain errors: extra facts.")


class OrganizationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    uscc = serializers.CharField(allow_null=True)


class ClientOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    key_id = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())


class UserOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    is_officer = serializers.BooleanField()


class MeOutputSerializer(serializers.Serializer):
    caller_type = serializers.ChoiceField(choices=["api_client", "user"])
    organization = OrganizationOutputSerializer(allow_null=True)
    client = ClientOutputSerializer(allow_null=True, help_text="Set when a partner client signed the call.")
    user = UserOutputSerializer(allow_null=True, help_text="Set when a signed-in web user made the call.")
