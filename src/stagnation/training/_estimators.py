"""The LightGBM risk classifier, the value regressor, and time-honest calibration."""

from __future__ import annotations

import os
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from stagnation.training._encoding import encode, learn_categories


def _latest_rows(order: np.ndarray, fraction: float) -> np.ndarray:
    """Return a mask of the rows with the latest ``order`` values, about ``fraction`` of rows.

    Whole values (dates) go to one side: the tail starts at the value where the cumulative
    share of rows from the end first reaches ``fraction``.
    """
    values, counts = np.unique(order, return_counts=True)
    from_end = np.cumsum(counts[::-1]) / len(order)
    n_values = int(np.searchsorted(from_end, fraction) + 1)
    if n_values >= len(values):
        return np.zeros(len(order), dtype=bool)
    return order >= values[len(values) - n_values]


def _linear_terms(base: Any, X: Any) -> dict[str, np.ndarray]:
    """Return each input's linear log-odds term in a fitted ``base`` pipeline ending in a linear
    model (as :func:`~stagnation.training.classic_logistic` builds), summed over the columns
    derived from it (its value and its was-missing flag); empty for anything else."""
    if base is None or not hasattr(base, "steps"):
        return {}
    *prep, (_, last) = base.steps
    if not hasattr(last, "coef_"):
        return {}
    transformed = np.asarray(Pipeline(prep).transform(X), dtype=float)
    names = Pipeline(prep).get_feature_names_out()
    terms: dict[str, np.ndarray] = {}
    for j, derived in enumerate(names):
        source = str(derived).split("__", 1)[-1].removeprefix("missingindicator_")
        terms[source] = terms.get(source, 0.0) + last.coef_[0, j] * transformed[:, j]
    return terms


def _signed_log1p(value: np.ndarray) -> np.ndarray:
    return np.sign(value) * np.log1p(np.abs(value))


class LightGBMRisk(ClassifierMixin, BaseEstimator):
    """Binary LightGBM classifier for small, imbalanced, time-ordered snapshot data.

    Categorical columns (pandas category, string, object or bool columns of a DataFrame) are
    encoded inside the model: ``fit`` learns their categories (:attr:`categories_`), and every
    later input is mapped to those integer codes, with unknown values read as missing, and passed
    to LightGBM as categorical features. So the model accepts plain string columns and its
    signature needs no pandas category dtype.

    Class imbalance is handled with ``scale_pos_weight``: ``"balanced"`` sets it to
    negatives / positives of the training data, ``"sqrt"`` to its square root; a number is used
    as given. Predicted probabilities are then not calibrated: use :func:`calibrate`.

    Early stopping never uses a random split. When ``early_stopping_fraction > 0``, the rows
    with the latest ``sample_order`` values (passed to :meth:`fit`; e.g. ``as_of``), about that
    fraction of the rows, are held back; trees are added until the held-back log loss has not
    improved for ``early_stopping_rounds`` rounds; the model is then refitted on all rows with
    the best number of trees (:attr:`n_estimators_`). Without ``sample_order``, the row order
    is taken as time order. Early stopping is skipped (``n_estimators`` trees) when the tail
    or the rest lacks one of the classes.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, max_depth, min_child_samples, subsample,
    colsample_bytree, reg_lambda, min_split_gain
        LightGBM's hyperparameters (``subsample`` is bagging every iteration).
    scale_pos_weight
        ``"balanced"``, ``"sqrt"``, a positive number, or ``None`` (no reweighting).
    early_stopping_fraction
        Share of the latest rows held back for early stopping; 0 disables it.
    early_stopping_rounds
        Patience of the early stopping.
    early_stopping_metric
        ``"logloss"`` (weighted like the training rows) or ``"auc"``, on the held-back rows.
    monotone_constraints
        Optional ``{feature name: -1 | 1}``; other features are unconstrained.
    base
        Optional unfitted classifier with ``decision_function`` (e.g. a logistic regression on
        recency, frequency and value) fitted first; the trees then boost from its log-odds
        (LightGBM's ``init_score``) and learn only what it misses. A linear base extrapolates
        where trees cannot (a recency longer than any in training), and early stopping keeps
        the trees few when the base already says it all. Needs DataFrame input.
    n_bags
        Number of boosters, seeded ``random_state``, ``random_state + 1``, ...; their raw
        scores are averaged. More bags cut the variance that row and column subsampling add on
        small data.
    n_jobs
        LightGBM threads. The default, 1, is the fastest on snapshot-sized data: measured on the
        sample's customers on this 2-core machine while other processes ran, ``n_jobs=2`` made
        training four times slower (OpenMP threads spin while waiting for a busy core).
    random_state
        Seed of LightGBM (bagging, feature sampling).

    Attributes
    ----------
    categories_
        ``{column: categories}`` of the categorical columns seen in ``fit``.
    feature_names_in_
        Input column names (when fitted on a DataFrame).
    n_features_in_
        Number of input columns.
    classes_
        The two class labels.
    estimators_
        The fitted :class:`lightgbm.LGBMClassifier` of each bag.
    booster_
        The first bag's :class:`lightgbm.Booster`.
    n_estimators_per_bag_, n_estimators_
        Number of trees of each bag, and their rounded mean.
    base_
        The fitted ``base`` (``None`` without one).
    scale_pos_weight_
        The positive-class weight used.
    """

    def __init__(
        self,
        *,
        n_estimators: int = 400,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        max_depth: int = -1,
        min_child_samples: int = 20,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        min_split_gain: float = 0.0,
        scale_pos_weight: float | Literal["balanced", "sqrt"] | None = "balanced",
        early_stopping_fraction: float = 0.2,
        early_stopping_rounds: int = 30,
        early_stopping_metric: Literal["logloss", "auc"] = "logloss",
        monotone_constraints: dict[str, int] | None = None,
        base: Any = None,
        n_bags: int = 5,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.min_split_gain = min_split_gain
        self.scale_pos_weight = scale_pos_weight
        self.early_stopping_fraction = early_stopping_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.early_stopping_metric = early_stopping_metric
        self.monotone_constraints = monotone_constraints
        self.base = base
        self.n_bags = n_bags
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def _matrix(self, X: Any, *, reset: bool) -> np.ndarray:
        return validate_data(
            self,
            encode(X, self.categories_),
            reset=reset,
            ensure_all_finite="allow-nan",
            dtype=np.float64,
        )

    def _params(self, n_estimators: int, weight: float) -> dict[str, Any]:
        return {
            "objective": "binary",
            "n_estimators": n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_child_samples": self.min_child_samples,
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1 else 0,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            "min_split_gain": self.min_split_gain,
            "scale_pos_weight": weight,
            "random_state": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "n_jobs": self.n_jobs,
            "verbose": -1,
        }

    def _weight(self, y: np.ndarray) -> float:
        pos = float(y.sum())
        neg = float(len(y) - pos)
        rule = self.scale_pos_weight
        if rule is None:
            return 1.0
        if rule == "balanced":
            return neg / max(pos, 1.0)
        if rule == "sqrt":
            return float(np.sqrt(neg / max(pos, 1.0)))
        if isinstance(rule, int | float) and rule > 0:
            return float(rule)
        raise ValueError(
            f"scale_pos_weight must be 'balanced', 'sqrt', a positive number or None, not {rule!r}"
        )

    def _booster(
        self,
        X: np.ndarray,
        y: np.ndarray,
        n_estimators: int,
        weight: float,
        seed: int,
        eval_set: tuple[np.ndarray, np.ndarray] | None = None,
        init_score: np.ndarray | None = None,
        eval_init_score: np.ndarray | None = None,
    ) -> lgb.LGBMClassifier:
        params = self._params(n_estimators, weight)
        params["random_state"] = seed
        if self.monotone_constraints:
            names = list(getattr(self, "feature_names_in_", []))
            params["monotone_constraints"] = [
                int(self.monotone_constraints.get(n, 0)) for n in names
            ] or None
        model = lgb.LGBMClassifier(**params)
        categorical = [i for i, n in enumerate(self._names()) if n in self.categories_]
        kwargs: dict[str, Any] = {"categorical_feature": categorical or "auto"}
        if init_score is not None:
            kwargs["init_score"] = init_score
        if eval_set is not None and eval_init_score is not None:
            kwargs["eval_init_score"] = [eval_init_score]
        if eval_set is not None:
            kwargs["eval_X"], kwargs["eval_y"] = eval_set
            # the held-back rows are weighted like the training rows, so the early-stopping
            # loss is the loss the trees minimise
            kwargs["eval_sample_weight"] = [np.where(eval_set[1] == 1, weight, 1.0)]
            kwargs["eval_metric"] = (
                "auc" if self.early_stopping_metric == "auc" else "binary_logloss"
            )
            params["metric"] = "None"
            kwargs["callbacks"] = [
                lgb.early_stopping(
                    self.early_stopping_rounds, first_metric_only=True, verbose=False
                )
            ]
        return model.fit(X, y, **kwargs)

    def _names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(n) for n in self.feature_names_in_]
        return [f"x{i}" for i in range(self.n_features_in_)]

    def fit(self, X: Any, y: ArrayLike, sample_order: ArrayLike | None = None) -> LightGBMRisk:
        """Fit the classifier.

        Parameters
        ----------
        X
            Features: a DataFrame (numeric and categorical columns) or a numeric array.
        y
            Binary labels.
        sample_order
            Per row, a sortable time (e.g. ``as_of``): early stopping holds back the latest
            rows. Default: the row order.
        """
        self.categories_ = learn_categories(X)
        matrix, y_arr = validate_data(
            self,
            encode(X, self.categories_),
            y,
            reset=True,
            ensure_all_finite="allow-nan",
            dtype=np.float64,
        )
        check_classification_targets(y_arr)
        self.classes_, y_codes = np.unique(y_arr, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError(
                "Only binary classification is supported: LightGBMRisk got "
                f"{len(self.classes_)} class(es) in y"
            )
        order = np.arange(len(y_codes)) if sample_order is None else np.asarray(sample_order)
        if len(order) != len(y_codes):
            raise ValueError(f"sample_order has {len(order)} values for {len(y_codes)} rows")
        self.scale_pos_weight_ = self._weight(y_codes)
        self.base_: Any = None
        offset = np.zeros(len(y_codes))
        if self.base is not None:
            if not isinstance(X, pd.DataFrame):
                raise ValueError("LightGBMRisk: a base model needs DataFrame input (named columns)")
            base = clone(self.base).fit(X, y_codes)
            offset = np.asarray(base.decision_function(X), dtype=float)
            self.base_ = base
        tail = (
            _latest_rows(order, self.early_stopping_fraction)
            if self.early_stopping_fraction > 0
            else np.zeros(len(order), dtype=bool)
        )
        head = ~tail
        usable = (
            tail.any() and len(np.unique(y_codes[tail])) == 2 and len(np.unique(y_codes[head])) == 2
        )
        if self.n_bags < 1:
            raise ValueError(f"n_bags must be at least 1, got {self.n_bags}")
        self.estimators_ = []
        self.n_estimators_per_bag_ = []
        for bag in range(self.n_bags):
            seed = self.random_state + bag
            n_trees = self.n_estimators
            if usable:
                probe = self._booster(
                    matrix[head],
                    y_codes[head],
                    self.n_estimators,
                    self._weight(y_codes[head]),
                    seed,
                    eval_set=(matrix[tail], y_codes[tail]),
                    init_score=offset[head] if self.base_ is not None else None,
                    eval_init_score=offset[tail] if self.base_ is not None else None,
                )
                n_trees = max(1, int(probe.best_iteration_ or self.n_estimators))
            self.n_estimators_per_bag_.append(n_trees)
            self.estimators_.append(
                self._booster(
                    matrix,
                    y_codes,
                    n_trees,
                    self.scale_pos_weight_,
                    seed,
                    init_score=offset if self.base_ is not None else None,
                )
            )
        self.n_estimators_ = round(float(np.mean(self.n_estimators_per_bag_)))
        self.booster_ = self.estimators_[0].booster_
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Return the raw score (log-odds) of the positive class, averaged over the bags."""
        check_is_fitted(self)
        matrix = self._matrix(X, reset=False)
        raw = [est.predict(matrix, raw_score=True) for est in self.estimators_]
        return np.mean(raw, axis=0) + self._offset(X)

    def _offset(self, X: Any) -> np.ndarray | float:
        """Return the base model's log-odds (0 without a base)."""
        if getattr(self, "base_", None) is None:
            return 0.0
        return np.asarray(self.base_.decision_function(X), dtype=float)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return ``(n, 2)`` class probabilities (not calibrated): the logistic of the raw score."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Return the most likely class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Return the input feature names (a classifier's features are its inputs)."""
        check_is_fitted(self)
        return np.asarray(self._names(), dtype=object)

    @property
    def feature_importances_(self) -> np.ndarray:
        """Return the total split gain of each feature."""
        check_is_fitted(self)
        gains = [e.booster_.feature_importance(importance_type="gain") for e in self.estimators_]
        return np.mean(np.asarray(gains, dtype=float), axis=0)

    def contributions(self, X: Any) -> pd.DataFrame:
        """Return LightGBM's per-row feature contributions (SHAP values, log-odds scale).

        One column per feature, without the bias column; rows sum with the bias to
        :meth:`decision_function`. With a linear ``base``, each of its inputs also gets its
        linear term (coefficient times the standardised value) added to its column.
        """
        check_is_fitted(self)
        matrix = self._matrix(X, reset=False)
        # rows are explained independently, so threads give the same values; TreeSHAP costs
        # about ten raw predictions per row, where the cores pay off (2.7 -> 1.5 s on 8,700
        # rows x 5 boosters, 2 cores), unlike training's small fits (see ``n_jobs``)
        threads = os.cpu_count() or 1
        values = np.mean(
            [e.predict(matrix, pred_contrib=True, num_threads=threads) for e in self.estimators_],
            axis=0,
        )
        index = X.index if isinstance(X, pd.DataFrame) else None
        out = pd.DataFrame(np.asarray(values)[:, :-1], columns=self._names(), index=index)
        for name, term in _linear_terms(self.base_, X).items():
            if name in out.columns:
                out[name] += term
        return out


class LightGBMValue(RegressorMixin, BaseEstimator):
    """LightGBM regressor of an order value: fits ``log1p(value)``, predicts ``expm1``.

    Meant to be fitted on the positive rows only (customers that did reactivate), so
    :meth:`predict` is the expected order value within the horizon *given* reactivation
    (the exponential of the mean log value: a geometric-mean-like, conservative estimate).
    Categorical columns are handled as in :class:`LightGBMRisk`.
    """

    def __init__(
        self,
        *,
        n_estimators: int = 150,
        learning_rate: float = 0.05,
        num_leaves: int = 7,
        min_child_samples: int = 10,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: ArrayLike) -> LightGBMValue:
        """Fit on ``log1p(y)`` (``-log1p(-y)`` for a negative ``y``)."""
        self.categories_ = learn_categories(X)
        matrix, target = validate_data(
            self,
            encode(X, self.categories_),
            y,
            reset=True,
            ensure_all_finite="allow-nan",
            dtype=np.float64,
            y_numeric=True,
        )
        names = list(getattr(self, "feature_names_in_", range(self.n_features_in_)))
        categorical = [i for i, n in enumerate(names) if str(n) in self.categories_]
        self.estimator_ = lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1 if self.subsample < 1 else 0,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            deterministic=True,
            force_row_wise=True,
            n_jobs=1,
            verbose=-1,
        ).fit(matrix, _signed_log1p(target), categorical_feature=categorical or "auto")
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Return the expected value: ``expm1`` of the predicted log value."""
        check_is_fitted(self)
        matrix = validate_data(
            self,
            encode(X, self.categories_),
            reset=False,
            ensure_all_finite="allow-nan",
            dtype=np.float64,
        )
        log_value = np.asarray(self.estimator_.predict(matrix), dtype=float)
        return np.sign(log_value) * np.expm1(np.abs(log_value))
