import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the property tests run derandomized: the same examples every run, so a red
# build is reproducible (and never a coin toss). Locally they explore fresh examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

sys.path.insert(0, str(Path(__file__).parent))

from peers import make_test_pki  # noqa: E402


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    """A root CA, an intermediate, and localhost/127.0.0.1 leaves of every key type on disk."""
    return make_test_pki(tmp_path_factory.mktemp("pki"))
