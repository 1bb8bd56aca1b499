"""Rule 6: a model learnt from recorded inspection outcomes.

Features are the points each rule gave plus a few facts of the declaration; the label is
whether the inspection seized something. Gradient boosting (scikit-learn's
HistGradientBoostingClassifier), calibrated so that its output is a probability of a find,
evaluated on the most recent fifth of the outcomes before it is refitted on all of them.
Every version is kept with its metrics; scoring uses the newest active one. A version is
active only when, on that held-out fifth, it finds at least as many seizures at capacity as
the rules alone: a model that would pick worse than the rules is kept, not used.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchfloor.errors import Invalid
from watchfloor.shipments.models import Outcome, RiskModel, Shipment

RULES = ("substance", "hs_code", "parties", "route", "anomaly")
MODES = ("post", "express", "cargo")
FEATURES = (
    *(f"points_{r}" for r in RULES),
    *(f"mode_{m}" for m in MODES),
    "items",
    "log_declared_value",
    "log_gross_weight_kg",
    "log_value_per_kg",
    "transit_countries",
)


def feature_row(
    *,
    mode: str,
    items: int,
    declared_value: float | None,
    gross_weight_kg: float | None,
    transit: int,
    rule_points: dict[str, int],
) -> list[float]:
    value = declared_value or 0.0
    weight = gross_weight_kg or 0.0
    per_kg = math.log1p(value / weight) if weight > 0 else float("nan")
    return [
        *(float(rule_points.get(r, 0)) for r in RULES),
        *(1.0 if mode == m else 0.0 for m in MODES),
        float(items),
        math.log1p(value),
        math.log1p(weight),
        per_kg,
        float(transit),
    ]


def points_by_rule(reasons: Sequence[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in reasons:
        out[r["rule"]] = out.get(r["rule"], 0) + int(r["points"])
    return out


@dataclass
class LoadedModel:
    version: str
    n_outcomes: int
    estimator: Any

    def predict(self, rows: list[list[float]]) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        # one thread: scoring already runs one process per core, and OpenMP's spinning
        # threads would only fight them
        with threadpool_limits(limits=1):
            return self.estimator.predict_proba(np.asarray(rows, dtype=float))[:, 1]


def load_active(session: Session, agency_id: int) -> LoadedModel | None:
    row = session.scalar(
        select(RiskModel)
        .where(RiskModel.active.is_(True), RiskModel.agency_id == agency_id)
        .order_by(RiskModel.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    return LoadedModel(row.version, row.n_outcomes, pickle.loads(row.blob))


@dataclass
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    when: list[dt.datetime]
    scores: np.ndarray


def training_set(session: Session, agency_id: int) -> TrainingSet:
    """One row per inspected shipment of the agency (its latest outcome), with the features
    of the assessment it had when it was inspected."""
    latest = (
        select(Outcome.shipment_id, func.max(Outcome.id).label("oid"))
        .join(Shipment, Shipment.id == Outcome.shipment_id)
        .where(Shipment.owner_agency_id == agency_id)
        .group_by(Outcome.shipment_id)
        .subquery()
    )
    rows = session.execute(
        select(Shipment, Outcome, Shipment.reasons)
        .join(latest, latest.c.shipment_id == Shipment.id)
        .join(Outcome, Outcome.id == latest.c.oid)
        .order_by(Outcome.recorded_at, Outcome.id)
    ).all()
    X, y, when, scores = [], [], [], []
    for shipment, outcome, reasons in rows:
        parsed = json.loads(reasons) if reasons else []
        X.append(
            feature_row(
                mode=shipment.mode,
                items=shipment.item_count,
                declared_value=shipment.declared_value,
                gross_weight_kg=shipment.gross_weight_kg,
                transit=len(shipment.transit_countries.split()),
                rule_points=points_by_rule([r for r in parsed if r["rule"] in RULES]),
            )
        )
        y.append(1 if outcome.result == "seized" else 0)
        when.append(outcome.recorded_at)
        scores.append(shipment.score)
    return TrainingSet(
        np.asarray(X, dtype=float).reshape(-1, len(FEATURES)),
        np.asarray(y, dtype=int),
        when,
        np.asarray(scores, dtype=float),
    )


def _fit(X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    # scikit-learn is imported here, not at the top: scoring without a model never needs it
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    base = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.08,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        random_state=seed,
    )
    folds = max(2, min(5, int(y.sum()), int(len(y) - y.sum())))
    method = "isotonic" if len(y) >= 1000 else "sigmoid"
    # ensemble=False: one booster refitted on all the data, calibrated on cross-validated
    # predictions; five times cheaper to apply than the average of five
    model = CalibratedClassifierCV(base, method=method, cv=folds, ensemble=False)
    return model.fit(X, y)


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[list[float]]:
    """The reliability curve of held-out probabilities: for each bin of equal width in the
    predicted probability that holds outcomes, [mean predicted, share found, outcomes]. A
    calibrated model's points lie on the diagonal."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append(
                [round(float(p[mask].mean()), 4), round(float(y[mask].mean()), 4), int(mask.sum())]
            )
    return out


def precision_at(y: np.ndarray, ranking: np.ndarray, k: int) -> float:
    if k <= 0 or len(y) == 0:
        return float("nan")
    top = np.argsort(-ranking, kind="stable")[:k]
    return float(y[top].mean())


def judge(metrics: dict[str, Any]) -> tuple[bool, str]:
    """Whether a version with these held-out metrics may score shipments, and why."""
    if "precision_at_k" not in metrics:
        return False, (
            "not used: the latest fifth of the outcomes holds no seizure or nothing else, so "
            "the model could not be compared with the rules"
        )
    model, rules, k = metrics["precision_at_k"], metrics["rules_precision_at_k"], metrics["k"]
    found = f"of the {k} held-out shipments each ranks highest, {model:.0%} were seizures "
    found += f"for the model and {rules:.0%} for the rules"
    if model >= rules:
        return True, f"used: {found}"
    return False, f"not used, the rules pick better: {found}"


def train(
    session: Session,
    agency_id: int,
    *,
    actor: str,
    min_outcomes: int,
    min_positive: int,
    seed: int = 0,
) -> RiskModel:
    """Fit, evaluate on the latest 20 % of outcomes, refit on all, store as a new version."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    data = training_set(session, agency_id)
    n, pos = len(data.y), int(data.y.sum())
    if n < min_outcomes or pos < min_positive or n - pos < min_positive:
        raise Invalid(
            f"not enough outcomes to train: {n} recorded ({pos} seizures); need "
            f"{min_outcomes} with at least {min_positive} seizures and {min_positive} clean"
        )
    cut = int(n * 0.8)
    metrics: dict[str, Any] = {"outcomes": n, "seizures": pos, "holdout": n - cut}
    y_test = data.y[cut:]
    if 0 < y_test.sum() < len(y_test) and 0 < data.y[:cut].sum() < cut:
        held = _fit(data.X[:cut], data.y[:cut], seed)
        p = held.predict_proba(data.X[cut:])[:, 1]
        k = max(1, int(round(y_test.mean() * len(y_test))))
        metrics.update(
            auc=round(float(roc_auc_score(y_test, p)), 4),
            brier=round(float(brier_score_loss(y_test, p)), 4),
            precision_at_k=round(precision_at(y_test, p, k), 4),
            rules_precision_at_k=round(precision_at(y_test, data.scores[cut:], k), 4),
            rules_auc=round(float(roc_auc_score(y_test, data.scores[cut:])), 4),
            k=k,
            reliability=reliability(y_test, p),
        )
    active, metrics["decision"] = judge(metrics)
    final = _fit(data.X, data.y, seed)
    buf = io.BytesIO()
    pickle.dump(final, buf, protocol=pickle.HIGHEST_PROTOCOL)
    count = session.scalar(select(func.count()).select_from(RiskModel)) or 0
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    row = RiskModel(
        version=f"gb-{count + 1}-{stamp}",
        agency_id=agency_id,
        trained_by=actor,
        n_outcomes=n,
        n_positive=pos,
        metrics=json.dumps(metrics),
        features=json.dumps(FEATURES),
        active=active,
        blob=buf.getvalue(),
    )
    session.add(row)
    session.flush()
    return row
