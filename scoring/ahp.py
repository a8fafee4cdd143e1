"""Analytic Hierarchy Process: weights from a pairwise comparison matrix (Saaty).

The weights are the principal right eigenvector of the reciprocal matrix, normalised to sum 1;
the consistency ratio CR = CI / RI with CI = (λmax − n) / (n − 1) and Saaty's random index RI.
A matrix with CR > 0.10 is conventionally refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gis.errors import ConfigError
from gis.messages import msg

#: Saaty's random consistency index RI for n = 1…15.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}

#: The conventional acceptance limit for the consistency ratio.
CR_LIMIT: float = 0.10


@dataclass(frozen=True)
class AHPResult:
    """Weights (sum 1, in matrix order), λmax, consistency index CI and ratio CR."""

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float

    @property
    def consistent(self) -> bool:
        return self.cr <= CR_LIMIT


def ahp_weights(
    matrix: np.ndarray | list[list[float]],
    *,
    where: str = "AHP matrix",
    labels: Sequence[str] | None = None,
) -> AHPResult:
    """Return the AHP weights and consistency of a pairwise comparison ``matrix``.

    Raises ConfigError if the matrix is not square, not positive, or not reciprocal
    (a_ji = 1 / a_ij within 1 %). The CR is returned, not judged: see :func:`check_consistency`.
    ``labels`` (criterion ids in matrix order) name the offending cell in error messages;
    without them cells are named by 1-based row and column numbers.
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 2:
        raise ConfigError(
            f"must be a square matrix of at least 2×2, got shape {a.shape}",
            where=where,
            msg=msg("error.ahp.not_square", shape=str(a.shape)),
        )
    n = a.shape[0]
    if n > max(RANDOM_INDEX):
        raise ConfigError(
            f"at most {max(RANDOM_INDEX)} criteria are supported, got {n}",
            where=where,
            msg=msg("error.ahp.too_many", limit=max(RANDOM_INDEX), n=n),
        )
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ConfigError(
            "entries must be positive finite numbers (Saaty's 1/9 … 9 scale)",
            where=where,
            msg=msg("error.ahp.not_positive"),
        )
    names = [str(x) for x in labels] if labels is not None and len(labels) == n else None

    def cell(i: int, j: int) -> str:
        return f"a[{names[i]},{names[j]}]" if names else f"a[{i + 1},{j + 1}]"

    bad_diag = np.flatnonzero(~np.isclose(np.diag(a), 1.0))
    if bad_diag.size:
        k = int(bad_diag[0])
        raise ConfigError(
            f"diagonal entries must be 1, but {cell(k, k)} = {a[k, k]:g}",
            where=where,
            msg=msg("error.ahp.diagonal", cell=cell(k, k), value=f"{a[k, k]:g}"),
        )
    bad = np.argwhere(~np.isclose(a * a.T, 1.0, rtol=0.01))
    if bad.size:
        i, j = bad[0]
        raise ConfigError(
            f"not reciprocal: {cell(i, j)} = {a[i, j]:g} but {cell(j, i)} = {a[j, i]:g} "
            f"(should be {1 / a[i, j]:.4g})",
            where=where,
            msg=msg(
                "error.ahp.not_reciprocal",
                cell=cell(i, j),
                value=f"{a[i, j]:g}",
                other=cell(j, i),
                other_value=f"{a[j, i]:g}",
                expected=f"{1 / a[i, j]:.4g}",
            ),
        )
    eigvals, eigvecs = np.linalg.eig(a)
    k = int(np.argmax(eigvals.real))
    lam = float(eigvals[k].real)
    w = np.abs(eigvecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1)
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    return AHPResult(weights=w, lambda_max=lam, ci=max(ci, 0.0), cr=max(cr, 0.0))


def check_consistency(result: AHPResult, *, where: str = "AHP matrix") -> AHPResult:
    """Return ``result`` if CR ≤ 0.10, else raise ConfigError showing the CR."""
    if not result.consistent:
        raise ConfigError(
            f"consistency ratio CR = {result.cr:.3f} exceeds {CR_LIMIT:.2f} "
            f"(λmax = {result.lambda_max:.3f}); revise the pairwise judgements",
            where=where,
            msg=msg(
                "error.ahp.inconsistent",
                cr=f"{result.cr:.3f}",
                limit=f"{CR_LIMIT:.2f}",
                lam=f"{result.lambda_max:.3f}",
            ),
        )
    return result
