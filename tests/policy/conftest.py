"""Shared fixtures of the policy-pack tests (the helpers live in ``policy_fixtures``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_fixtures import PACK_DIR


@pytest.fixture(scope="session")
def pack_dir() -> Path:
    """The repository's policy pack."""
    return PACK_DIR
