import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from peers import make_test_pki  # noqa: E402


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    """A root CA, an intermediate, and localhost/127.0.0.1 leaves of every key type on disk."""
    return make_test_pki(tmp_path_factory.mktemp("pki"))
