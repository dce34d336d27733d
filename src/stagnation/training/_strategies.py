"""The names of the strategies a ranking is measured against: ours, the field's rules, random.

The rules are the baselines of :mod:`._baselines` as a sales manager applies them (release the
customers longest without a follow-up; coach the reps whose hunting fell most against their own
past). :mod:`stagnation.backtest` counts each strategy's top K and :mod:`stagnation.plots` draws
them in this order, so the names live here, below both.
"""

from __future__ import annotations

#: Strategy names in the tables: ours (the action list's order first), the rules, random.
PRIORITY, SCORE, RANDOM = "our priority", "our score", "random"
POOL_RULE, RECENCY_RULE, DRIFT_RULE = "pool rule", "recency rule", "drift rule"
STRATEGIES = (PRIORITY, SCORE, POOL_RULE, RECENCY_RULE, DRIFT_RULE, RANDOM)
#: The rule of the field each entity's priority must beat.
FIELD_RULE = {"customer": POOL_RULE, "rep": DRIFT_RULE}
