"""Units used across parksite.

Areas are square metres and 亩 (mu); money is 万元; distances are metres.
"""

from __future__ import annotations

#: One 亩 in square metres (1 亩 = 10000/15 m² ≈ 666.667 m²).
MU_M2: float = 10000.0 / 15.0

#: Square metres per square kilometre.
KM2_M2: float = 1_000_000.0

#: 万元 per 亿元.
WAN_PER_YI: float = 10_000.0


def m2_to_mu(area_m2: float) -> float:
    """Return ``area_m2`` (m²) expressed in 亩."""
    return area_m2 / MU_M2


def mu_to_m2(area_mu: float) -> float:
    """Return ``area_mu`` (亩) expressed in m²."""
    return area_mu * MU_M2


def yi_to_wan(amount_yi: float) -> float:
    """Return ``amount_yi`` (亿元) expressed in 万元."""
    return amount_yi * WAN_PER_YI
