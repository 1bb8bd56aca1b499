"""Adapting the shipped classifier to an agency's own labels.

An agency rarely has the thousands of labelled listings the Agora crawls give, and a user's
installation has no Agora files at all. So instead of refitting from scratch, the shipped
model is the prior: both logistic regressions are refitted on the agency's labelled
listings with an L2 penalty towards the shipped coefficients instead of towards zero
(maximum a posteriori under a Gaussian prior centred on the shipped model). With few labels
the model stays close to the shipped one; with many, the agency's data speaks. The
vocabulary and IDF weights stay those of the shipped model, so explanations keep their
meaning, and terms the labels never contain keep their shipped weights exactly.

The penalty has the scale of scikit-learn's: ``C * sum(loss) + ||w - w0||^2 / 2``, with
classes weighted as ``class_weight="balanced"`` does.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

import numpy as np

from watchfloor.listings.classifier import ListingModel


def _matrix(model: ListingModel, documents: Sequence[str]):
    from scipy.sparse import csr_matrix

    indptr, indices, values = [0], [], []
    for doc in documents:
        idx, vals = model.vectorise(doc)
        indices.append(idx)
        values.append(vals.astype(np.float64))
        indptr.append(indptr[-1] + len(idx))
    shape = (len(documents), len(model.vocabulary))
    if not documents or indptr[-1] == 0:
        return csr_matrix(shape)
    return csr_matrix((np.concatenate(values), np.concatenate(indices), indptr), shape=shape)


def _balanced(labels: Sequence[object]) -> np.ndarray:
    counts = Counter(labels)
    n, k = len(labels), len(counts)
    return np.array([n / (k * counts[y]) for y in labels])


def _fit_sale(x, y: np.ndarray, w0: np.ndarray, b0: float, c: float) -> tuple[np.ndarray, float]:
    from scipy.optimize import minimize

    cols = np.unique(x.indices)
    xs, prior = x[:, cols], w0[cols].astype(np.float64)
    s = _balanced(list(y))

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        z = xs @ w + b
        loss = np.logaddexp(0.0, z) - y * z
        r = s * (1.0 / (1.0 + np.exp(-z)) - y)
        d = w - prior
        grad = np.concatenate([c * (xs.T @ r) + d, [c * r.sum()]])
        return float(c * (s * loss).sum() + 0.5 * d @ d), grad

    start = np.concatenate([prior, [b0]])
    fit = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    coef = w0.astype(np.float64).copy()
    coef[cols] = fit.x[:-1]
    return coef.astype(np.float32), float(fit.x[-1])


def _fit_classes(
    x, y: np.ndarray, w0: np.ndarray, b0: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    from scipy.optimize import minimize

    k = w0.shape[0]
    cols = np.unique(x.indices)
    xs, prior = x[:, cols], w0[:, cols].astype(np.float64)
    onehot = np.eye(k)[y]
    s = _balanced(list(y))
    shape = prior.shape

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: prior.size].reshape(shape), theta[prior.size :]
        z = np.asarray(xs @ w.T) + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -(onehot * logp).sum(axis=1)
        r = (np.exp(logp) - onehot) * s[:, None]
        d = w - prior
        grad_w = c * np.asarray(xs.T @ r).T + d
        grad = np.concatenate([grad_w.ravel(), c * r.sum(axis=0)])
        return float(c * (s * loss).sum() + 0.5 * (d * d).sum()), grad

    start = np.concatenate([prior.ravel(), b0.astype(np.float64)])
    fit = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    coef = w0.astype(np.float64).copy()
    coef[:, cols] = fit.x[: prior.size].reshape(shape)
    return coef.astype(np.float32), fit.x[prior.size :].astype(np.float32)


def adapt(
    base: ListingModel,
    documents: Sequence[str],
    is_sale: Sequence[bool],
    classes: Sequence[str | None],
    *,
    version: str,
    c: float = 8.0,
) -> ListingModel:
    """``base`` refitted on the labelled ``documents`` (see the module docstring).
    ``classes`` is None where a drug sale's class is not known; a class the base model
    does not have is an error."""
    unknown = sorted({k for k in classes if k is not None and k not in base.classes})
    if unknown:
        raise ValueError(f"classes the model does not know: {', '.join(unknown)}")
    if not documents:
        raise ValueError("no labelled listings")
    x = _matrix(base, documents)
    y = np.array(is_sale, dtype=np.float64)
    sale_coef, sale_intercept = base.sale_coef, base.sale_intercept
    if len(set(is_sale)) == 2:
        sale_coef, sale_intercept = _fit_sale(x, y, base.sale_coef, base.sale_intercept, c)
    class_coef, class_intercept = base.class_coef, base.class_intercept
    rows = [i for i, k in enumerate(classes) if k is not None and is_sale[i]]
    if len({classes[i] for i in rows}) >= 2:
        index = {k: j for j, k in enumerate(base.classes)}
        labels = np.array([index[classes[i]] for i in rows])  # type: ignore[index]
        class_coef, class_intercept = _fit_classes(
            x[rows], labels, base.class_coef, base.class_intercept, c
        )
    return dataclasses.replace(
        base,
        version=version,
        sale_coef=sale_coef,
        sale_intercept=sale_intercept,
        class_coef=class_coef,
        class_intercept=class_intercept,
        metrics={
            "base": base.version,
            "documents": len(documents),
            "drug_sales": int(y.sum()),
            "class_labels": len(rows),
        },
        _index=None,
    )
