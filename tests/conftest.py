"""Test session settings: the batch cache lives in a temporary directory, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from explicate.runtime.batch_cache import ENV


@pytest.fixture(autouse=True, scope="session")
def _private_batch_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = os.environ.get(ENV)
    os.environ[ENV] = str(tmp_path_factory.mktemp("batch-cache"))
    yield
    if before is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = before
