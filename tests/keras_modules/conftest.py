import json
import os

import numpy as np
import pytest

from numeras import backend
from numeras.backend import config

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


@pytest.fixture(scope="session")
def keras_expected():
    """What Keras 3.15 wrote (fixtures/make_fixtures.py)."""
    with open(os.path.join(FIXTURES, "keras_modules.json")) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def keras_arrays():
    with np.load(os.path.join(FIXTURES, "constraints.npz")) as data:
        return {name: data[name] for name in data.files}


@pytest.fixture(autouse=True)
def _reset_config():
    """Every test starts and ends with the default global settings."""
    backend.set_epsilon(1e-7)
    backend.set_image_data_format("channels_last")
    config._reset_session_settings()
    yield
    backend.set_epsilon(1e-7)
    backend.set_image_data_format("channels_last")
    config._reset_session_settings()
