"""Batch verification: the same rule as ``geo.verify.verify`` over many fixes at once.

The work is done column-wise with numpy (CRS conversion, distances, the three-way rule) and
per-item ``Verification`` objects are only built when an item is read, because building
them is what a per-item loop mostly spends its time on.  Reading every item of a
``VerificationBatch`` gives exactly the objects ``verify`` would have returned.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from geo.accuracy import Source
from geo.crs import CRS, convert_arrays
from geo.distance import geodesic_distances_m
from geo.errors import GeoError
from geo.inputs import Fix, Target
from geo.verify import (
    ACCURACY_IMPLAUSIBLE,
    ACCURACY_MISSING,
    ACCURACY_TOO_COARSE,
    DEFAULT_POLICY,
    IMPLAUSIBLE_ACCURACY_M,
    MANUAL_POSITION,
    MOCK_LOCATION,
    Verdict,
    Verification,
    VerifyPolicy,
)

_VERDICTS = (Verdict.VERIFIED, Verdict.OUT_OF_RANGE, Verdict.INCONCLUSIVE)


class VerificationBatch(Sequence[Verification]):
    """The results of ``verify_many``: numpy columns plus lazily built ``Verification`` items.

    Columns (all length n): ``verdict_codes`` (0 verified, 1 out_of_range, 2 inconclusive),
    ``distance_m``, ``radius_m``, ``accuracy_m`` (normalised, NaN when none),
    ``raw_accuracy_m`` (NaN when none), ``lat``, ``lon`` (WGS-84 used).
    """

    def __init__(
        self,
        fixes: Sequence[Fix],
        targets: Sequence[Target],
        columns: dict[str, np.ndarray],
        policy: VerifyPolicy,
    ) -> None:
        """Wrap computed columns; use ``verify_many`` rather than calling this directly."""
        self._fixes = fixes
        self._targets = targets
        self._policy = policy
        self.verdict_codes = columns["verdict"]
        self.distance_m = columns["distance"]
        self.radius_m = columns["radius"]
        self.accuracy_m = columns["accuracy"]
        self.raw_accuracy_m = columns["raw"]
        self.lat = columns["lat"]
        self.lon = columns["lon"]
        self._coarse = columns["coarse"]
        self._measured_to = columns["measured_to"]

    def __len__(self) -> int:
        """Number of fixes verified."""
        return len(self.verdict_codes)

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Every verdict, in input order."""
        return tuple(_VERDICTS[c] for c in self.verdict_codes.tolist())

    @overload
    def __getitem__(self, index: int) -> Verification: ...
    @overload
    def __getitem__(self, index: slice) -> list[Verification]: ...

    def __getitem__(self, index: int | slice) -> Verification | list[Verification]:
        """The ``Verification`` for one fix (or a list of them for a slice)."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]  # normalises negatives, raises IndexError
        fix, target = self._fixes[i], self._targets[i]
        raw = fix.accuracy_m
        accuracy = float(self.accuracy_m[i])
        flags = []
        if fix.source == Source.MANUAL:
            flags.append(MANUAL_POSITION)
        elif raw is None:
            flags.append(ACCURACY_MISSING)
        elif self._coarse[i]:
            flags.append(ACCURACY_TOO_COARSE)
        if fix.mock:
            flags.append(MOCK_LOCATION)
        if raw is not None and raw < IMPLAUSIBLE_ACCURACY_M and fix.source != Source.MANUAL:
            flags.append(ACCURACY_IMPLAUSIBLE)
        return Verification(
            verdict=_VERDICTS[self.verdict_codes[i]],
            distance_m=float(self.distance_m[i]),
            radius_m=target.radius_m,
            accuracy_m=None if np.isnan(accuracy) else accuracy,
            raw_accuracy_m=raw,
            lat=float(self.lat[i]),
            lon=float(self.lon[i]),
            flags=tuple(flags),
            geometry_version=target.geometry_version,
            measured_to="polygon" if self._measured_to[i] else "point",
            source=fix.source,
            crs=str(fix.crs),
            confidence=self._policy.confidence,
        )

    def __iter__(self) -> Iterator[Verification]:
        """Build and yield every ``Verification`` in input order."""
        for i in range(len(self)):
            yield self[i]


def _fix_columns(fixes: Sequence[Fix]) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lat/lon arrays for the fixes, converting each CRS group in one numpy pass."""
    lat = np.fromiter((f.lat for f in fixes), float, len(fixes))
    lon = np.fromiter((f.lon for f in fixes), float, len(fixes))
    crs = [f.crs for f in fixes]
    for src in (CRS.GCJ02, CRS.BD09):
        if src in crs:
            mask = np.fromiter((c == src for c in crs), bool, len(fixes))
            lat[mask], lon[mask] = convert_arrays(lat[mask], lon[mask], src, CRS.WGS84)
    return lat, lon


def _distance_column(
    lat: np.ndarray, lon: np.ndarray, targets: Sequence[Target], shared: Target | None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances to each fix's target and whether each was measured to a polygon."""
    n = len(lat)
    if shared is not None:
        if shared.area is not None:
            return shared.area.distances_m(lat, lon), np.ones(n, bool)
        t_lat, t_lon = shared.point_lat_lon  # type: ignore[misc]
        return geodesic_distances_m(lat, lon, t_lat, t_lon), np.zeros(n, bool)
    distance = np.empty(n)
    to_polygon = np.fromiter((t.area is not None for t in targets), bool, n)
    point_idx = np.flatnonzero(~to_polygon)
    if len(point_idx):
        t_ll = np.array([targets[i].point_lat_lon for i in point_idx.tolist()], dtype=float)
        distance[point_idx] = geodesic_distances_m(
            lat[point_idx], lon[point_idx], t_ll[:, 0], t_ll[:, 1]
        )
    # Polygon targets: one vectorised query per distinct target object.
    groups: dict[int, list[int]] = {}
    for i in np.flatnonzero(to_polygon).tolist():
        groups.setdefault(id(targets[i]), []).append(i)
    for idx in groups.values():
        area = targets[idx[0]].area
        distance[idx] = area.distances_m(lat[idx], lon[idx])  # type: ignore[union-attr]
    return distance, to_polygon


def verify_many(
    fixes: Sequence[Fix],
    targets: Target | Sequence[Target],
    *,
    policy: VerifyPolicy = DEFAULT_POLICY,
) -> VerificationBatch:
    """Verify many fixes against one shared target or one target per fix.

    Same rule and same results as calling ``verify`` on each pair, computed column-wise.
    """
    fixes = list(fixes)
    n = len(fixes)
    for f in fixes:
        if not isinstance(f, Fix):
            raise GeoError("fix", f"must be a Fix, got {type(f).__name__}")
    shared = targets if isinstance(targets, Target) else None
    target_list: Sequence[Target] = [targets] * n if shared is not None else list(targets)  # type: ignore[list-item,arg-type]
    if len(target_list) != n:
        raise GeoError("targets", f"got {len(target_list)} targets for {n} fixes")
    if shared is None:
        for t in target_list:
            if not isinstance(t, Target):
                raise GeoError("target", f"must be a Target, got {type(t).__name__}")

    lat, lon = _fix_columns(fixes)
    distance, to_polygon = _distance_column(lat, lon, target_list, shared)
    radius = (
        np.full(n, shared.radius_m)
        if shared is not None
        else np.fromiter((t.radius_m for t in target_list), float, n)
    )
    raw = np.array([np.nan if f.accuracy_m is None else f.accuracy_m for f in fixes], float)
    sources = [f.source for f in fixes]
    manual = np.fromiter((s == Source.MANUAL for s in sources), bool, n)
    factors = policy._factors
    factor = np.fromiter((factors.get(s, np.nan) for s in sources), float, n)
    accuracy = raw * factor
    with np.errstate(invalid="ignore"):
        coarse = accuracy > policy.max_accuracy_m
        verdict = np.where(
            distance + accuracy <= radius, 0, np.where(distance - accuracy > radius, 1, 2)
        )
    # NaN accuracy (missing or manual) fails both comparisons above, hence code 2 already.
    verdict[coarse | manual] = 2
    columns = {
        "verdict": verdict,
        "distance": distance,
        "radius": radius,
        "accuracy": accuracy,
        "raw": raw,
        "lat": lat,
        "lon": lon,
        "coarse": coarse,
        "measured_to": to_polygon,
    }
    return VerificationBatch(fixes, target_list, columns, policy)
