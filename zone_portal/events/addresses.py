"""Where webhooks may go: public addresses only, unless a setting allows private networks.

A partner chooses the URL, and the platform's workers send to it from inside the government
network, so an address in a private, loopback or link-local range (the database, Redis, a cloud
metadata service) would let a partner probe that network. The literal host is checked when an
endpoint is registered, and the resolved addresses again before every batch is sent, because a
name may resolve differently later.
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings


def _is_public_ip(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def private_networks_allowed() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)


def host_is_private_literal(host: str) -> bool:
    """True for ``localhost`` names and for literal IP addresses outside the public internet."""
    host = (host or "").strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name: checked when it is resolved
    return not _is_public_ip(host)


def host_resolves_to_public(host: str, port: int | None) -> bool:
    """True when every address ``host`` resolves to is public (or private networks are allowed);
    False when it does not resolve."""
    if private_networks_allowed():
        return True
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(_is_public_ip(a) for a in addresses)
