"""The loopback OpenLineage receiver fixture (see ``receiver.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.openlineage.receiver import Receiver


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()
