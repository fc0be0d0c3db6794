import numpy as np
import pytest
from hypothesis import settings

# numba compiles on first call: no per-example deadline
settings.register_profile("project", deadline=None, max_examples=40)
settings.load_profile("project")


@pytest.fixture
def labelled_data():
    """500 samples, 5 features, 3 classes with some structure."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 500)
    X = rng.standard_normal((500, 5)) + y[:, None] * np.array([1.0, 0.5, 0.0, 0.0, -0.7])
    return X, y
