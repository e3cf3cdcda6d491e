import pytest

from numeras import backend
from numeras.utils import naming


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with Keras's automatic names from scratch, float32 and a fixed seed."""
    naming.reset_names()
    backend.set_floatx("float32")
    backend.set_random_seed(1234)
    yield
    backend.set_floatx("float32")
