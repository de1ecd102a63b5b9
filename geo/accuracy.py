"""Position sources and the confidence level behind each one's reported accuracy radius.

A reported "accuracy" is the radius of a circle the true position falls in with some
probability, and platforms disagree on the probability:

* ``gps`` / ``network`` (Android ``Location.getAccuracy()``): documented as the radius of
  68% confidence.
* ``browser`` (W3C Geolocation API ``coords.accuracy``): the spec asks for a 95% confidence
  level.
* ``wechat`` (``wx.getLocation``): WeChat passes through the phone OS's own figure
  (Android's 68% radius, or iOS ``horizontalAccuracy``, undocumented but used the same way),
  so it is treated like Android.
* ``manual``: a position typed or picked on a map; there is no measurement, so no accuracy
  can be trusted and verification is always inconclusive.

To compare radii they are rescaled to one confidence level assuming the usual error model:
a circular bivariate normal with standard deviation σ per axis.  Its distance from the truth
is Rayleigh-distributed, so the radius containing probability p is σ·sqrt(-2·ln(1-p)):
1.5096σ at 68% and 2.4477σ at 95%.  A 68% radius therefore becomes a 95% one by multiplying
by 2.4477/1.5096 = 1.6214 (not by 2.45, which would treat the 68% radius as σ).
"""

from __future__ import annotations

import math
from enum import StrEnum

from geo.errors import GeoError


class Source(StrEnum):
    """Where a position came from on the client."""

    GPS = "gps"
    NETWORK = "network"
    BROWSER = "browser"
    WECHAT = "wechat"
    MANUAL = "manual"


def parse_source(value: Source | str) -> Source:
    """Return the Source named by ``value`` (case-insensitive); ``GeoError(field="source")``."""
    if isinstance(value, Source):
        return value
    if isinstance(value, str):
        try:
            return Source(value.strip().lower())
        except ValueError:
            pass
    expected = ", ".join(s.value for s in Source)
    raise GeoError("source", f"unknown position source {value!r}; expected one of {expected}")


def radius_in_sigmas(confidence: float) -> float:
    """Radius, in σ, of the circle holding ``confidence`` of a circular bivariate normal."""
    if not 0.0 < confidence < 1.0:
        raise GeoError("confidence", f"must be strictly between 0 and 1, got {confidence}")
    return math.sqrt(-2.0 * math.log(1.0 - confidence))


def rescale_radius(radius_m: float, from_confidence: float, to_confidence: float) -> float:
    """Rescale an accuracy radius from one confidence level to another."""
    return radius_m * radius_in_sigmas(to_confidence) / radius_in_sigmas(from_confidence)
