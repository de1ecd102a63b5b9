"""The geofence verdict: was the phone within R metres of the firm's site?

With the distance d from the fix to the site and the fix's accuracy radius a (normalised to
one confidence level, see ``geo.accuracy``):

* ``verified``      when d + a <= R: the whole uncertainty circle is inside the geofence;
* ``out_of_range``  when d - a >  R: the whole uncertainty circle is outside it;
* ``inconclusive``  otherwise, and whenever accuracy is missing, coarser than the policy's
  maximum, or the position was entered manually.

Flags explain an inconclusive verdict and carry fix-local warnings (``mock_location``,
``accuracy_implausible``) that do not change the verdict: they are integrity signals for a
reviewer, not geometry.  Every ``Verification`` records the inputs that decided it and
``RULE_VERSION`` so a stored verdict can be re-explained after the rules change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from geo.accuracy import Source, parse_source, rescale_radius
from geo.crs import to_wgs84
from geo.distance import geodesic_distance_m
from geo.errors import GeoError
from geo.inputs import Fix, Target, finite_number
from geo.integrity import ACCURACY_IMPLAUSIBLE, DEFAULT_INTEGRITY_POLICY, MOCK_LOCATION

# Bump whenever a change could turn a stored verdict into a different one.
RULE_VERSION = "verify-2026.11-1"

ACCURACY_MISSING = "accuracy_missing"
ACCURACY_TOO_COARSE = "accuracy_too_coarse"
MANUAL_POSITION = "manual_position"

# Fix-local integrity warnings share the integrity module's names and threshold.
IMPLAUSIBLE_ACCURACY_M = DEFAULT_INTEGRITY_POLICY.min_plausible_accuracy_m


class Verdict(StrEnum):
    """The outcome of checking one fix against one target."""

    VERIFIED = "verified"
    OUT_OF_RANGE = "out_of_range"
    INCONCLUSIVE = "inconclusive"


_DEFAULT_SOURCE_CONFIDENCE = MappingProxyType(
    {Source.GPS: 0.68, Source.NETWORK: 0.68, Source.WECHAT: 0.68, Source.BROWSER: 0.95}
)


@dataclass(frozen=True)
class VerifyPolicy:
    """Tunable parameters of the verdict.

    * ``confidence`` (0.95): the level every accuracy radius is rescaled to before comparing.
    * ``max_accuracy_m`` (500 m): a fix whose *normalised* radius exceeds this is too coarse
      to judge (typical of cell-tower-only fixes) and is inconclusive.
    * ``source_confidence``: the confidence level of each source's reported radius (Android
      and WeChat 68%, browsers 95%; see ``geo.accuracy``).  ``manual`` has none by design.
    """

    confidence: float = 0.95
    max_accuracy_m: float = 500.0
    source_confidence: Mapping[Source, float] = field(
        default_factory=lambda: _DEFAULT_SOURCE_CONFIDENCE, hash=False
    )
    _factors: Mapping[Source, float] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        max_accuracy = finite_number("max_accuracy_m", self.max_accuracy_m)
        if max_accuracy <= 0.0:
            raise GeoError("max_accuracy_m", f"must be positive, got {max_accuracy}")
        confidences = {parse_source(k): v for k, v in self.source_confidence.items()}
        missing = {s for s in Source if s != Source.MANUAL} - confidences.keys()
        if missing:
            names = ", ".join(sorted(missing))
            raise GeoError("source_confidence", f"no confidence level for: {names}")
        factors = {s: rescale_radius(1.0, c, self.confidence) for s, c in confidences.items()}
        object.__setattr__(self, "source_confidence", MappingProxyType(confidences))
        object.__setattr__(self, "_factors", MappingProxyType(factors))

    def accuracy_factor(self, source: Source | str) -> float:
        """Multiplier taking ``source``'s reported radius to the policy's confidence level."""
        source = parse_source(source)
        if source == Source.MANUAL:
            raise GeoError("source", "a manual position has no accuracy to normalise")
        return self._factors[source]

    def normalise_accuracy(self, accuracy_m: float | None, source: Source | str) -> float | None:
        """The reported radius at the policy's confidence level (None if none or manual)."""
        if accuracy_m is None or parse_source(source) == Source.MANUAL:
            return None
        return accuracy_m * self.accuracy_factor(source)


DEFAULT_POLICY = VerifyPolicy()


@dataclass(frozen=True, slots=True)
class Verification:
    """A verdict together with everything needed to explain it later.

    ``lat``/``lon`` are the WGS-84 position actually used (after CRS conversion);
    ``accuracy_m`` is the normalised radius at ``confidence``, ``raw_accuracy_m`` what the
    client sent; ``measured_to`` is ``"polygon"`` or ``"point"``.
    """

    verdict: Verdict
    distance_m: float
    radius_m: float
    accuracy_m: float | None
    raw_accuracy_m: float | None
    lat: float
    lon: float
    flags: tuple[str, ...]
    geometry_version: str | int
    measured_to: str
    source: Source
    crs: str
    confidence: float
    rule_version: str = RULE_VERSION

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field (enums as their string values)."""
        return {
            "verdict": str(self.verdict),
            "distance_m": self.distance_m,
            "radius_m": self.radius_m,
            "accuracy_m": self.accuracy_m,
            "raw_accuracy_m": self.raw_accuracy_m,
            "lat": self.lat,
            "lon": self.lon,
            "flags": list(self.flags),
            "geometry_version": self.geometry_version,
            "measured_to": self.measured_to,
            "source": str(self.source),
            "crs": str(self.crs),
            "confidence": self.confidence,
            "rule_version": self.rule_version,
        }


def decide(distance_m: float, accuracy_m: float, radius_m: float) -> Verdict:
    """The three-way geofence rule for a distance, a normalised accuracy and a radius."""
    if distance_m + accuracy_m <= radius_m:
        return Verdict.VERIFIED
    if distance_m - accuracy_m > radius_m:
        return Verdict.OUT_OF_RANGE
    return Verdict.INCONCLUSIVE


def _check_inputs(fix: Fix, targets: Sequence[Target]) -> None:
    if not isinstance(fix, Fix):
        raise GeoError("fix", f"must be a Fix, got {type(fix).__name__}")
    for target in targets:
        if not isinstance(target, Target):
            raise GeoError("target", f"must be a Target, got {type(target).__name__}")


def _distance(lat: float, lon: float, target: Target) -> tuple[float, str]:
    """Metres from the WGS-84 position to ``target`` and what was measured to."""
    area = target.area
    if area is not None:
        return area.distance_m(lat, lon), "polygon"
    t_lat, t_lon = target.point_lat_lon  # type: ignore[misc]  # Target guarantees one
    return geodesic_distance_m(lat, lon, t_lat, t_lon), "point"


def verify(fix: Fix, target: Target, *, policy: VerifyPolicy = DEFAULT_POLICY) -> Verification:
    """Judge whether ``fix`` lies within ``target``'s geofence; see the module docstring."""
    _check_inputs(fix, (target,))
    lat, lon = to_wgs84(fix.lat, fix.lon, fix.crs)
    return _judge(fix, lat, lon, target, *_distance(lat, lon, target), policy)


def verify_nearest(fix: Fix, targets: Sequence[Target], *,
                   policy: VerifyPolicy = DEFAULT_POLICY) -> tuple[int, Verification]:
    """Pick the target nearest to ``fix`` and judge the fix against it, in one pass.

    The fix is converted to WGS-84 once and each target's distance measured once; the nearest
    one's distance is the verification's. Returns ``(index of that target, its
    Verification)``; on a tie the earlier target wins, so callers order ``targets`` by
    whatever should break ties (e.g. site id). ``targets`` must not be empty.
    """
    _check_inputs(fix, targets)
    if not targets:
        raise GeoError("target", "at least one target is needed")
    lat, lon = to_wgs84(fix.lat, fix.lon, fix.crs)
    best, (distance, measured_to) = 0, _distance(lat, lon, targets[0])
    for index in range(1, len(targets)):
        candidate = _distance(lat, lon, targets[index])
        if candidate[0] < distance:
            best, (distance, measured_to) = index, candidate
    return best, _judge(fix, lat, lon, targets[best], distance, measured_to, policy)


def _judge(fix: Fix, lat: float, lon: float, target: Target, distance: float,
           measured_to: str, policy: VerifyPolicy) -> Verification:
    flags: list[str] = []
    raw = fix.accuracy_m
    accuracy = policy.normalise_accuracy(raw, fix.source)
    if fix.source == Source.MANUAL:
        flags.append(MANUAL_POSITION)
        verdict = Verdict.INCONCLUSIVE
    elif accuracy is None:
        flags.append(ACCURACY_MISSING)
        verdict = Verdict.INCONCLUSIVE
    elif accuracy > policy.max_accuracy_m:
        flags.append(ACCURACY_TOO_COARSE)
        verdict = Verdict.INCONCLUSIVE
    else:
        verdict = decide(distance, accuracy, target.radius_m)
    if fix.mock:
        flags.append(MOCK_LOCATION)
    if raw is not None and raw < IMPLAUSIBLE_ACCURACY_M and fix.source != Source.MANUAL:
        flags.append(ACCURACY_IMPLAUSIBLE)

    return Verification(
        verdict=verdict,
        distance_m=distance,
        radius_m=target.radius_m,
        accuracy_m=accuracy,
        raw_accuracy_m=raw,
        lat=lat,
        lon=lon,
        flags=tuple(flags),
        geometry_version=target.geometry_version,
        measured_to=measured_to,
        source=fix.source,
        crs=str(fix.crs),
        confidence=policy.confidence,
    )

