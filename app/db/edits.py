"""Versioned edits of clusters and parcels, with optimistic concurrency and an audit trail.

Every write names the version it starts from. The check is in the UPDATE itself
(``UPDATE … SET version = version + 1 WHERE id = ? AND version = ?``): when no row matches, some
other writer got there first and :class:`VersionConflictError` (a ``ConflictError``, HTTP 412)
carries the current version and state. Two writers starting from the same version: exactly one
wins, also under PostgreSQL with concurrent transactions (the second UPDATE waits for the first
transaction's row lock, then re-checks ``version`` and matches nothing).

Cluster geometry edits are also serialised per park on PostgreSQL (``SELECT … FOR UPDATE`` on
the park row) so two edits of neighbouring clusters cannot both pass the overlap check. SQLite
has one writer at a time anyway.

Cluster outlines: one rule, checked here inside the write transaction — an outline must be a
polygon (repaired when invalid), lie inside its park and overlap no other cluster of the zone.
Slivers thinner than 2 × ``SNAP_M`` beyond the park boundary or over a neighbour (what rounding
does to a shared edge read from the API in WGS 84 and sent back) are cut off and reported; what
is left beyond ``OUTSIDE_PARK_TOLERANCE_M2`` / ``OVERLAP_TOLERANCE_M2`` is refused with
:class:`app.errors.ClusterGeometryError` (HTTP 422), which carries the offending part. A restore
is checked like any edit.

A cluster's ``admits`` (the industries it admits, 表8-1) is checked against the zone file's
positive list (:func:`app.db.rules.check_admits`); null means "not set yet".

Every write records an audit entry (:mod:`app.db.audit`) with the state before and after and
a note as a catalogue message (:mod:`app.db.notes`), rendered in the reader's language.
Functions here flush but never commit: the caller owns the transaction, and on any error rolls
it back (``with factory.begin() as session: …``).

Parcel ↔ cluster assignment rule (used after every cluster geometry change, cluster creation
and deletion, and a parcel geometry change): a parcel belongs to the cluster of its park that
covers at least half of the parcel's area (``ASSIGN_MIN_SHARE``); clusters do not overlap, so at
most one can. A parcel covered less than half by every cluster has no cluster. Only parcels
that were in the edited cluster or touch its old or new outline are re-assigned.

The work is split by job; this module gathers the public names:

* :mod:`app.db.versioning` — ``versioned_update`` (the version check), ``EditResult``, the
  states the audit log keeps (``cluster_state``, ``parcel_state``).
* :mod:`app.db.cluster_outline` — ``check_cluster_outline``, the one outline rule.
* :mod:`app.db.parcel_assignment` — ``assign_cluster`` and the re-assignment after an edit.
* :mod:`app.db.cluster_edits` — ``create_cluster``, ``update_cluster``, ``delete_cluster``.
* :mod:`app.db.parcel_edits` — ``update_parcel``.
* :mod:`app.db.edit_history` — ``history`` and ``restore``.
"""

from __future__ import annotations

from app.db.cluster_edits import CLUSTER_EDITABLE, create_cluster, delete_cluster, update_cluster
from app.db.cluster_outline import (
    OUTSIDE_PARK_TOLERANCE_M2,
    OVERLAP_TOLERANCE_M2,
    SNAP_M,
    check_cluster_outline,
)
from app.db.edit_history import history, restore
from app.db.parcel_assignment import ASSIGN_MIN_SHARE, assign_cluster
from app.db.parcel_edits import PARCEL_EDITABLE, update_parcel
from app.db.versioning import ENTITIES, EditResult, cluster_state, parcel_state, versioned_update
from app.errors import ClusterGeometryError, VersionConflictError

__all__ = [
    "ASSIGN_MIN_SHARE",
    "CLUSTER_EDITABLE",
    "ENTITIES",
    "ClusterGeometryError",
    "EditResult",
    "OUTSIDE_PARK_TOLERANCE_M2",
    "OVERLAP_TOLERANCE_M2",
    "PARCEL_EDITABLE",
    "SNAP_M",
    "VersionConflictError",
    "assign_cluster",
    "check_cluster_outline",
    "cluster_state",
    "create_cluster",
    "delete_cluster",
    "history",
    "parcel_state",
    "restore",
    "update_cluster",
    "update_parcel",
    "versioned_update",
]
