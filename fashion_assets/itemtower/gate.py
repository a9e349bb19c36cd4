"""Champion/challenger: a new checkpoint serves only if it is not worse than the current one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GateResult:
    """The decision and what it was based on."""

    passed: bool
    metric: str
    challenger: float
    champion: float | None
    tolerance: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON and metadata."""
        return asdict(self)


def gate(challenger: Mapping[str, float], champion: Mapping[str, float] | None,
         metric: str, tolerance: float) -> GateResult:  # fmt: skip
    """Pass when there is no champion, or when the challenger's `metric` (higher is better) is at
    least the champion's minus `tolerance`. Both must be scored on the same evaluation set."""
    if metric not in challenger:
        raise ValueError(f"unknown gate metric {metric!r}; choose from {sorted(challenger)}")
    new = float(challenger[metric])
    if champion is None:
        return GateResult(True, metric, new, None, tolerance, "no serving checkpoint yet")
    old = float(champion[metric])
    passed = new >= old - tolerance
    verdict = "not worse than" if passed else "worse than"
    return GateResult(
        passed, metric, new, old, tolerance,
        f"challenger {metric} {new:.4f} is {verdict} champion {old:.4f} - tolerance {tolerance}",
    )  # fmt: skip
