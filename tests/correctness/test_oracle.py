from codecrucible.correctness import oracle


def test_exact_values_and_python_equality():
    assert oracle.matches("exact", (), [1, 2], [1, 2], 0)
    assert not oracle.matches("exact", (), [1, 2], (1, 2), 0)
    assert oracle.matches("exact", (), 1, True, 0)  # as the benchmarks' own asserts see it


def test_floats_get_a_default_tolerance_of_1e_6():
    assert oracle.matches("exact", (), 0.1 + 0.2, 0.3, 0)
    assert oracle.matches("exact", (), [1.0000001, 2.0], [1.0, 2.0], 0)
    assert not oracle.matches("exact", (), 1.001, 1.0, 0)
    assert not oracle.matches("exact", (), [1.0, 2.0, 3.0], [1.0, 2.0], 0)


def test_task_tolerance_applies_to_nested_values_of_the_same_type():
    assert oracle.matches("exact", (), (1.05, [2.0]), (1.0, [2.0]), 0.1)
    assert not oracle.matches("exact", (), [1.05, [2.0]], (1.0, [2.0]), 0.1)


def test_nan_equals_nan_only():
    nan = float("nan")
    assert oracle.close(nan, nan, 1e-6)
    assert not oracle.close(1.0, nan, 1e-6)


def test_special_oracles():
    assert oracle.matches("set", (), [3, 1, 2], [1, 2, 3], 0)
    assert oracle.matches("sorted", (), [2, 1, 1], [1, 1, 2], 0)
    assert not oracle.matches("sorted", (), [2, 1], [1, 1, 2], 0)
    assert oracle.matches("isclose:0.001", (), 3.1416, 3.14159, 0)
    assert not oracle.matches("isclose:1e-9", (), 3.1416, 3.14159, 0)
    assert oracle.matches("any", (), None, 5, 0)


def test_find_zero_accepts_any_root():
    # x^2 - 1 has roots -1 and 1; the reference found 1, a candidate may find -1
    assert oracle.matches("poly", ([-1, 0, 1],), -1.0, 1.0, 1e-4)
    assert not oracle.matches("poly", ([-1, 0, 1],), 0.5, 1.0, 1e-4)
    assert not oracle.matches("poly", ([-1, 0, 1],), "1", 1.0, 1e-4)
