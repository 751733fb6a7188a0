"""The unbiased pass@k estimator (Chen et al., 2021, "Evaluating Large Language Models Trained
on Code"): with n samples of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k), computed
as a product so that it stays exact for large n."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

STANDARD_K = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def pass_at_k(n: int, c: int, k: int) -> float:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    fail = 1.0
    for i in range(n - c + 1, n + 1):
        fail *= 1.0 - k / i
    return 1.0 - fail


def usable_k(counts: Iterable[int], wanted: Iterable[int] = STANDARD_K) -> list[int]:
    """The ks every problem has enough samples for."""
    least = min(counts, default=0)
    return [k for k in wanted if k <= least]


def mean_pass_at_k(results: Mapping[str, tuple[int, int]], ks: Iterable[int]) -> dict[int, float]:
    """``results`` maps a problem to (n, c); the mean over problems for each k."""
    if not results:
        return {}
    return {k: sum(pass_at_k(n, c, k) for n, c in results.values()) / len(results) for k in ks}
