"""A model whose calls keep timing out: after ``TIMEOUTS_IN_A_ROW`` in a row (the default of
``--timeouts-in-a-row``, ``ModelOptions.timeouts_in_a_row``) its server is down or far too
slow, and going on would only spend ``--call-timeout`` on every call left. The calls that timed
out still come back as their ``timeout`` answers; the watch raises ``ModelStalled`` on the
model's next call, and on every one after it, so that the run stops (keeping what it judged)
instead of filling the store with empty answers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from codecrucible.models.base import TIMEOUTS_IN_A_ROW, Completion, ModelError


class ModelStalled(ModelError):
    """A model whose last ``TIMEOUTS_IN_A_ROW`` calls all timed out."""


class StallWatch:
    """Counts one model's fresh calls that timed out in a row (cache hits tell nothing); a
    ``limit`` of 0 never stops it."""

    def __init__(self, spec: str, call_timeout_s: float | None, limit: int = TIMEOUTS_IN_A_ROW):
        self.spec, self.call_timeout_s, self.limit = spec, call_timeout_s, limit
        self.in_a_row = 0
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raises ``ModelStalled`` once the model has stalled."""
        if self.limit and self.in_a_row >= self.limit:
            each = f" after {self.call_timeout_s:g} s each" if self.call_timeout_s else ""
            raise ModelStalled(f"model {self.spec}: {self.in_a_row} calls in a row timed "
                               f"out{each} (--call-timeout); its server is down or far too "
                               "slow")

    def saw(self, completions: Sequence[Completion]) -> None:
        """Counts ``completions``, in the order they came."""
        with self._lock:
            for completion in completions:
                if not completion.cached:
                    self.in_a_row = self.in_a_row + 1 if completion.timed_out else 0
