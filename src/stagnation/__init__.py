"""stagnation: find reps sliding into order-follower mode and dormant customers worth recycling.

The ranked action list is :func:`score`; the layers behind it are the subpackages ``crm``,
``features``, ``labels``, ``snapshots``, ``training``, ``tracking`` and ``scoring``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stagnation._memory import tune_memory

__all__ = ["score", "tune_memory"]

if TYPE_CHECKING:
    from stagnation.scoring import score


def __getattr__(name: str) -> Any:
    # `stagnation.score(crm, as_of=...)` without importing the ML stack on `import stagnation`
    if name == "score":
        from stagnation.scoring import score

        return score
    raise AttributeError(f"module 'stagnation' has no attribute {name!r}")
