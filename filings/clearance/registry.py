"""Where the risk system hooks into the release decision, without ``filings`` importing it.

``risk`` sits above ``filings`` (DESIGN.md §3): it registers its assessor here from its
``AppConfig.ready()``::

    from filings.clearance import registry
    registry.register_risk_assessor(lambda ids: risk_tasks.lists_assess.delay(ids))

The assessor is called after the commit with the ids of the lists that entered the risk check;
it must eventually call ``filings.clearance.services.list_release_decide`` for each of them
(release, hold or reject). While no assessor is registered, a list that passes quota and tax is
released at once.
"""

from __future__ import annotations

from collections.abc import Callable

RiskAssessor = Callable[[list[int]], None]

_assessor: RiskAssessor | None = None


def register_risk_assessor(assessor: RiskAssessor | None) -> None:
    """Register (or, with ``None``, remove) the risk system's assessor."""
    global _assessor
    _assessor = assessor


def risk_assessor() -> RiskAssessor | None:
    return _assessor
