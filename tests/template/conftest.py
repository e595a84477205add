"""The ``slow`` marker of the template's end-to-end test (it still runs in the normal suite)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds a fresh virtualenv; runs in the normal suite (about 1-2 min)")
