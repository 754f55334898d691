"""`make test`'s workers (tests/conftest.py): a group's tests must reach xdist as one group, or
the shared published company is built once per worker and PostgreSQL 15's users race."""

from __future__ import annotations

import pytest

from tests.conftest import xdist_group_of


def test_under_make_test_a_test_carries_its_group_to_the_scheduler(
    request: pytest.FixtureRequest,
) -> None:
    if not request.config.getoption("loadgroup", False):
        pytest.skip("runs under make test (pytest -n 2 --dist loadgroup)")
    assert request.node.nodeid.endswith("@tests/test_xdist_groups.py"), request.node.nodeid


def test_the_readers_of_the_shared_company_form_one_group(request: pytest.FixtureRequest) -> None:
    readers = [
        item
        for item in request.session.items
        if "published_company" in getattr(item, "fixturenames", ())
    ]
    assert {xdist_group_of(item) for item in readers} <= {"published_company"}
    assert xdist_group_of(request.node) == "tests/test_xdist_groups.py"


def test_the_tests_that_change_the_shared_company_run_after_its_readers(
    request: pytest.FixtureRequest,
) -> None:
    shared = [item for item in request.session.items if xdist_group_of(item) == "published_company"]
    changes = [bool(item.get_closest_marker("changes_shared_run")) for item in shared]
    assert changes == sorted(changes), [item.nodeid for item in shared]
