"""Champion/challenger gate: a new checkpoint serves only if it beats the best baseline and
is not worse than the serving one, on the aggregate score and on every gate label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

Metrics = Mapping[str, float]


@dataclass(frozen=True)
class GateResult:
    """The decision, the references it was taken against and every reason it failed."""

    passed: bool
    metric: str
    challenger: float
    champion: float | None
    baseline: str | None  # the best baseline's name
    baseline_score: float | None
    tolerance: float
    label_floor: float
    reason: str
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON and metadata."""
        return asdict(self)


def _against(name: str, challenger: Metrics, reference: Metrics, metric: str,
             labels: tuple[str, ...], tolerance: float, floor: float) -> list[str]:  # fmt: skip
    failures = []
    new, old = float(challenger[metric]), float(reference[metric])
    if new < old - tolerance:
        failures.append(f"{metric} {new:.4f} is worse than {name} {old:.4f} - {tolerance}")
    for label in labels:
        new_l, old_l = float(challenger[label]), float(reference[label])
        if new_l < old_l - floor:
            failures.append(f"{label} {new_l:.4f} is below {name} {old_l:.4f} - floor {floor}")
    return failures


def gate(
    challenger: Metrics,
    champion: Metrics | None,
    baselines: Mapping[str, Metrics],
    *,
    metric: str,
    labels: tuple[str, ...],
    tolerance: float,
    label_floor: float,
) -> GateResult:
    """Pass when the challenger's `metric` (higher is better) is at least the best baseline's
    and the champion's (each minus `tolerance`), and each of `labels` is at least theirs minus
    `label_floor`, so a gain on one label cannot hide a collapse on another. All must be
    scored on the same evaluation set; no champion and no baselines: nothing to compare."""
    known = [m for m in (metric, *labels) if m not in challenger]
    if known:
        raise ValueError(f"unknown gate metrics {known}; choose from {sorted(challenger)}")
    best = max(baselines, key=lambda b: baselines[b][metric], default=None)
    failures: list[str] = []
    if best is not None:
        failures += _against(f"baseline {best}", challenger, baselines[best], metric, labels,
                             tolerance, label_floor)  # fmt: skip
    if champion is not None:
        failures += _against("champion", challenger, champion, metric, labels, tolerance,
                             label_floor)  # fmt: skip
    compared = " and ".join(
        n for n, ref in ((f"baseline {best}", best), ("champion", champion)) if ref is not None
    )
    if failures:
        reason = "refused: " + "; ".join(failures)
    elif compared:
        reason = f"challenger {metric} {float(challenger[metric]):.4f} is not worse than {compared}"
    else:
        reason = "nothing to compare against: no serving checkpoint and no baseline"
    return GateResult(
        passed=not failures,
        metric=metric,
        challenger=float(challenger[metric]),
        champion=float(champion[metric]) if champion is not None else None,
        baseline=best,
        baseline_score=float(baselines[best][metric]) if best is not None else None,
        tolerance=tolerance,
        label_floor=label_floor,
        reason=reason,
        failures=failures,
    )
