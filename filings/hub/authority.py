"""Who may declare: the enterprise codes with an effective filing and their roles.

The hub checks every enterprise code of every document (ebpCode, ebcCode, payCode,
logisticsCode, agentCode, operatorCode) and the caller's roles. Filings change rarely and
documents arrive by the thousand, so the table of filed codes is held in each process and
reloaded when a filing changes: every filing transition bumps a generation counter in Redis
(``bump_generation``, connected to the filing signals), and each request compares the counter
(one Redis GET) before trusting its copy. A revocation therefore takes effect with the next
request in every process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.core.cache import cache

GENERATION_KEY = "filings:hub:authority-generation"


@dataclass(frozen=True)
class Filed:
    organization_id: int
    roles: frozenset


_lock = threading.Lock()
_state: dict = {"generation": None, "codes": {}, "by_org": {}}


def bump_generation(**_kwargs) -> None:
    """Invalidate every process's table (called after a filing transition commits)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def _load() -> tuple[dict[str, Filed], dict[int, tuple[str, ...]]]:
    from filings.models import EnterpriseFiling

    codes: dict[str, Filed] = {}
    by_org: dict[int, tuple[str, ...]] = {}
    rows = (EnterpriseFiling.objects.filter(status=EnterpriseFiling.Status.FILED, effective_version__isnull=False)
            .values_list("organization_id", "organization__uscc", "effective_version__customs_code",
                         "effective_version__roles"))
    for org_id, uscc, customs_code, roles in rows:
        filed = Filed(org_id, frozenset(roles or ()))
        own = tuple(code.upper() for code in (uscc, customs_code) if code)
        for code in own:
            codes[code] = filed
        by_org[org_id] = own
    return codes, by_org


def table() -> tuple[dict[str, Filed], dict[int, tuple[str, ...]]]:
    """(code → Filed, organization id → its codes), current as of the last filing change."""
    generation = cache.get(GENERATION_KEY, 0)
    with _lock:
        if _state["generation"] != generation:
            _state["codes"], _state["by_org"] = _load()
            _state["generation"] = generation
        return _state["codes"], _state["by_org"]


def reset() -> None:
    with _lock:
        _state["generation"] = None
