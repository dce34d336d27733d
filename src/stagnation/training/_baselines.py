"""Baselines every model must beat: the field's rules and small classic logistic regressions.

Every baseline is a scikit-learn classifier fitted and scored on exactly the snapshots the
LightGBM model sees; :func:`baselines` returns fresh, unfitted ones per target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from stagnation.training._result import ModelName


class RuleScore(ClassifierMixin, BaseEstimator):
    """Score rows by one feature: the rules CRMs use today, as a classifier.

    The score is a monotone transform of the feature: ``fit`` learns only the direction (when
    ``higher_is_riskier`` is ``None``) and a scaling (the median and interquartile range of the
    training values); see :meth:`decision_function`. Rows where the feature is missing get the
    lowest score of all (a rule cannot fire on a value it does not have).

    Parameters
    ----------
    feature
        The column to read: a name for DataFrame input, or a position for an array.
    higher_is_riskier
        ``True``: larger values score higher. ``False``: smaller values score higher. ``None``:
        learn it: ``fit`` keeps the sign whose training ROC AUC is the higher (ties: higher is
        riskier), so a rule like "days since the last follow-up" is read in whichever direction
        actually goes with the label.

    Attributes
    ----------
    sign_
        +1 when higher values are riskier, -1 otherwise.
    center_, scale_
        Median and interquartile range (1 when zero) of the training values.
    training_auc_
        Training ROC AUC of the chosen direction (NaN with a single class).
    """

    def __init__(self, feature: str | int = 0, higher_is_riskier: bool | None = None) -> None:
        self.feature = feature
        self.higher_is_riskier = higher_is_riskier

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def _column(self, X: Any, y: Any = None, *, reset: bool) -> Any:
        if isinstance(X, pd.DataFrame) and isinstance(self.feature, str):
            if self.feature not in X.columns:
                raise ValueError(f"RuleScore: X has no column {self.feature!r}")
            X = X[[self.feature]]
            column = 0
        elif isinstance(self.feature, str):
            raise ValueError(f"RuleScore reads column {self.feature!r}: pass a DataFrame")
        else:
            column = int(self.feature)
        kwargs: dict[str, Any] = {"ensure_all_finite": "allow-nan", "dtype": np.float64}
        if reset:
            matrix, y_arr = validate_data(self, X, y, reset=True, **kwargs)
        else:
            matrix, y_arr = validate_data(self, X, reset=False, **kwargs), None
        if not 0 <= column < matrix.shape[1]:
            raise ValueError(f"RuleScore: column {column} out of range for {matrix.shape[1]}")
        return matrix[:, column], y_arr

    def _score(self, values: np.ndarray, sign: float) -> np.ndarray:
        z = sign * (values - self.center_) / self.scale_
        return np.where(np.isnan(z), -1.0, z / (1.0 + np.abs(z)))

    def fit(self, X: Any, y: ArrayLike) -> RuleScore:
        """Learn the direction (if not given) and the scaling of the feature."""
        values, y_arr = self._column(X, y, reset=True)
        check_classification_targets(y_arr)
        self.classes_, codes = np.unique(y_arr, return_inverse=True)
        if len(self.classes_) > 2:
            raise ValueError("Only binary classification is supported by RuleScore")
        finite = values[np.isfinite(values)]
        q1, median, q3 = np.percentile(finite, [25, 50, 75]) if len(finite) else (0.0, 0.0, 0.0)
        self.center_ = float(median)
        self.scale_ = float(q3 - q1) if q3 > q1 else 1.0
        two = len(self.classes_) == 2
        auc_up = roc_auc_score(codes, self._score(values, 1.0)) if two else np.nan
        if self.higher_is_riskier is None:
            auc_down = roc_auc_score(codes, self._score(values, -1.0)) if two else np.nan
            self.sign_ = -1.0 if two and auc_down > auc_up else 1.0
        else:
            self.sign_ = 1.0 if self.higher_is_riskier else -1.0
        score = self._score(values, self.sign_)
        self.training_auc_ = float(roc_auc_score(codes, score)) if two else float("nan")
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Return the signed, scaled feature squashed into ``(-1, 1)``; missing values get -1.

        With ``z = sign * (x - center) / scale``, the score is ``z / (1 + |z|)``: monotone in
        ``z`` and bounded, so a missing value ranks below every known one.
        """
        check_is_fitted(self)
        return self._score(self._column(X, reset=False)[0], self.sign_)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return ``[1 - p, p]`` with ``p = (decision_function + 1) / 2`` (not calibrated)."""
        p = (self.decision_function(X) + 1.0) / 2.0
        if len(self.classes_) == 1:
            return np.ones((len(p), 1))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Return the class whose probability is the higher."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _log1p_nonneg(X: Any) -> Any:
    return np.log1p(np.clip(X, 0, None))


def classic_logistic(
    log_features: list[str], plain_features: list[str], *, C: float = 1.0
) -> Pipeline:
    """Return a logistic regression on a few classic features, as a Pipeline over a DataFrame.

    ``log_features`` (counts, money, days) are passed through ``log1p`` (after clipping at 0),
    ``plain_features`` (shares, ratios, years) as they are; then every column is imputed with
    its training median plus a was-missing indicator, standardised, and fed to a
    ``LogisticRegression(class_weight="balanced", C=C)``.
    """
    log_part = make_pipeline(
        FunctionTransformer(_log1p_nonneg, feature_names_out="one-to-one"),
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
    )
    plain_part = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
    columns = ColumnTransformer(
        [("log", log_part, log_features), ("plain", plain_part, plain_features)],
        remainder="drop",
    )
    return make_pipeline(
        columns,
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=2000, C=C),
    )


#: Recency, frequency and monetary value of a customer.
RFM_FEATURES = ["days_since_last_order", "orders_lifetime", "order_value_lifetime"]
#: The customer model's own regression (the base its trees boost from) adds the time pattern of
#: a customer's orders to RFM: order counts and value over several windows, the gaps between
#: orders and how overdue the next one is, and BG/NBD's P(alive) and expected orders.
CUSTOMER_PATTERN_LOG = [
    *RFM_FEATURES,
    "orders_90d",
    "orders_180d",
    "orders_365d",
    "order_value_90d",
    "order_value_365d",
    "days_since_first_order",
    "expected_orders_90d",
    "last_order_gap_days",
    "longest_order_gap_days",
    "order_gap_mean_days",
]
CUSTOMER_PATTERN_PLAIN = ["p_alive", "overdue_ratio", "recency_vs_longest_gap", "order_gap_cv"]
#: Its ridge penalty is strong: weekly snapshots repeat the same customers, so the rows overstate
#: the evidence. On The Complete Journey (400 customers a date) C = 1 loses to RFM alone at 3 of 4
#: cutoffs; C = 0.001 leads it on average, and on CDNOW (20,000 customers) both C give the same.
CUSTOMER_PATTERN_C = 0.001
#: The classic rep-drift features.
CLASSIC_REP_LOG = ["activities_90d"]
CLASSIC_REP_PLAIN = [
    "hunting_share_90d",
    "hunting_share_vs_own_past",
    "book_revenue_vs_peers_365d",
    "tenure_years",
]


def company_pool_overdue(
    X: pd.DataFrame, contact_expire_days: float | None, deal_expire_days: float | None
) -> np.ndarray:
    """Return how far past the company's own pool rules each customer is (1 = due today).

    The rules of a CRM's 公海 pool (yudao's ``crm_customer_pool_config``): release an owned
    customer after ``contact_expire_days`` without a follow-up record, or ``deal_expire_days``
    after its owner received it without a deal. The ratio is the larger of days since the last
    touch (since creation when never touched) over the first, and days since the owner change
    over the second; a rule that is not set does not count.

    Examples
    --------
    >>> X = pd.DataFrame({"days_since_last_touch": [15.0, float("nan")],
    ...                   "days_since_owner_change": [200.0, 10.0], "customer_age_days": [400, 60]})
    >>> company_pool_overdue(X, 30, 100).ravel().tolist()
    [2.0, 2.0]
    """
    parts = []
    if contact_expire_days:
        since = X["days_since_last_touch"].fillna(X["customer_age_days"])
        parts.append(since.to_numpy(dtype=float) / float(contact_expire_days))
    if deal_expire_days:
        parts.append(X["days_since_owner_change"].to_numpy(dtype=float) / float(deal_expire_days))
    if not parts:
        return np.full((len(X), 1), np.nan)
    return np.fmax.reduce(parts)[:, None] if len(parts) > 1 else parts[0][:, None]


def company_pool_rule(
    contact_expire_days: float | None, deal_expire_days: float | None
) -> Pipeline:
    """Return the company's own pool rule (:func:`company_pool_overdue`) as a classifier.

    Its direction is learned on the training rows, as for the other pool rules.
    """
    overdue = FunctionTransformer(
        company_pool_overdue,
        kw_args={"contact_expire_days": contact_expire_days, "deal_expire_days": deal_expire_days},
    )
    return make_pipeline(overdue, RuleScore(0))


def baselines(
    name: ModelName, pool_rules: dict[str, Any] | None = None
) -> dict[str, BaseEstimator]:
    """Return the unfitted baselines of a target, by name.

    ``customer-recycling``: ``pool_rule_days_since_followup`` (``days_since_last_touch``),
    ``pool_rule_days_since_order`` (``days_since_last_order``), both with their direction
    learned from the training data (as reactivation predictors their sign is not obvious), and
    ``rfm_logistic`` (recency, frequency, monetary value). ``rep-passivity``:
    ``trailing_drift_rule`` (``hunting_share_vs_own_past``, recent share over the rep's own past:
    the lower, the riskier) and ``classic_logistic`` (hunting share, its drift, book revenue vs
    peers, tenure, activity level). With ``pool_rules`` (an extract's ``pool_rules.json``, e.g.
    from ``stagnation import sql --mapping yudao``), customers also get ``pool_rule_company``:
    the company's own release rule (:func:`company_pool_rule`).
    """
    if name == "customer-recycling":
        out: dict[str, BaseEstimator] = {
            "pool_rule_days_since_followup": RuleScore("days_since_last_touch"),
            "pool_rule_days_since_order": RuleScore("days_since_last_order"),
            "rfm_logistic": classic_logistic(RFM_FEATURES, []),
        }
        rules = pool_rules or {}
        contact, deal = rules.get("contact_expire_days"), rules.get("deal_expire_days")
        if rules.get("enabled", True) and (contact or deal):
            out["pool_rule_company"] = company_pool_rule(contact, deal)
        return out
    if name == "rep-passivity":
        return {
            "trailing_drift_rule": RuleScore("hunting_share_vs_own_past", higher_is_riskier=False),
            "classic_logistic": classic_logistic(CLASSIC_REP_LOG, CLASSIC_REP_PLAIN),
        }
    raise ValueError(f"unknown model {name!r}: 'rep-passivity' or 'customer-recycling'")
