"""Views and grants users add on ``analytics`` follow each publish and rollback to the version
in place, or the swap names, in its log and its result, each one it could not keep."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from thinline.publish import PREVIOUS, PUBLISHED, publish, rollback

BUILD = "analytics_build"


def build_version(url: str, marker: int, extra_column: bool = True) -> None:
    """A build schema whose tables carry ``marker`` (``fct_one.extra`` unless told not to)."""
    extra = ", 'x' as extra" if extra_column else ""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create schema {BUILD}")
        conn.execute(f"create table {BUILD}.fct_one as select {marker} as version{extra}")
        conn.execute(f"create table {BUILD}.fct_two as select {marker} * 10 as version")


def read(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture
def analyst(fresh_database: str) -> Iterator[str]:
    """A role of the user's, neither owner nor bi_reader."""
    name = f"analyst_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f"create role {name}")
    yield name
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f"drop owned by {name}")
        conn.execute(f"drop role {name}")


def add_user_objects(url: str, analyst: str) -> None:
    """What users add once a version is live: views in their own schema (one on another),
    a view and a materialized view in ``analytics`` itself, and grants to their role."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema bi")
        conn.execute(
            "create view bi.both_versions as select one.version as one, two.version as two "
            f"from {PUBLISHED}.fct_one as one cross join {PUBLISHED}.fct_two as two"
        )
        conn.execute("create view bi.doubled as select one * 2 as doubled from bi.both_versions")
        conn.execute(f"create view {PUBLISHED}.my_view as select version from {PUBLISHED}.fct_two")
        conn.execute(
            f"create materialized view {PUBLISHED}.my_snapshot as "
            f"select version from {PUBLISHED}.fct_one"
        )
        conn.execute("comment on view bi.doubled is 'twice fct_one'")
        conn.execute(f"grant usage on schema bi, {PUBLISHED} to {analyst}")
        conn.execute(f"grant select on bi.doubled, {PUBLISHED}.fct_one to {analyst}")
        conn.execute(f"grant select on {PUBLISHED}.my_view to {analyst}")


def user_view_values(url: str) -> tuple:
    return (
        read(url, "select one, two from bi.both_versions")[0],
        read(url, "select doubled from bi.doubled")[0][0],
        read(url, f"select version from {PUBLISHED}.my_view")[0][0],
        read(url, f"select version from {PUBLISHED}.my_snapshot")[0][0],
    )


def analyst_can_read(url: str, analyst: str) -> list[int]:
    with psycopg.connect(url) as conn:
        conn.execute(f"set role {analyst}")
        return [
            conn.execute(f"select version from {PUBLISHED}.fct_one").fetchone()[0],
            conn.execute("select doubled from bi.doubled").fetchone()[0],
            conn.execute(f"select version from {PUBLISHED}.my_view").fetchone()[0],
        ]


def test_user_views_and_grants_follow_every_publish_and_rollback(
    fresh_database: str, analyst: str
) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    add_user_objects(fresh_database, analyst)
    assert user_view_values(fresh_database) == ((1, 10), 2, 10, 1)

    build_version(fresh_database, 2)
    published = publish(fresh_database, BUILD)
    assert user_view_values(fresh_database) == ((2, 20), 4, 20, 2)  # not analytics_previous
    assert published.not_kept == []
    assert analyst_can_read(fresh_database, analyst) == [2, 4, 20]

    build_version(fresh_database, 3)
    publish(fresh_database, BUILD)  # the publish after: nothing dropped
    assert user_view_values(fresh_database) == ((3, 30), 6, 30, 3)
    assert analyst_can_read(fresh_database, analyst) == [3, 6, 30]
    assert read(fresh_database, "select obj_description('bi.doubled'::regclass)") == [
        ("twice fct_one",)
    ]

    rolled_back = rollback(fresh_database)
    assert user_view_values(fresh_database) == ((2, 20), 4, 20, 2)
    assert rolled_back.not_kept == []
    assert analyst_can_read(fresh_database, analyst) == [2, 4, 20]
    rollback(fresh_database)
    assert user_view_values(fresh_database) == ((3, 30), 6, 30, 3)


def test_a_grant_revoked_on_the_live_version_stays_revoked_after_rollback(
    fresh_database: str, analyst: str
) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f"grant usage on schema {PUBLISHED} to {analyst}")
        conn.execute(f"grant select on {PUBLISHED}.fct_one to {analyst}")
    build_version(fresh_database, 2)
    publish(fresh_database, BUILD)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f"revoke select on {PUBLISHED}.fct_one from {analyst}")
    rollback(fresh_database)
    with psycopg.connect(fresh_database) as conn:
        conn.execute(f"set role {analyst}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select version from {PUBLISHED}.fct_one")


def test_a_view_the_new_version_cannot_serve_is_named_and_comes_back_on_rollback(
    fresh_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create schema bi")
        conn.execute(f"create view bi.extras as select extra from {PUBLISHED}.fct_one")
        conn.execute(f"create view bi.versions as select version from {PUBLISHED}.fct_two")

    build_version(fresh_database, 2, extra_column=False)  # a column the view reads is gone
    with caplog.at_level(logging.WARNING, logger="thinline.publish"):
        published = publish(fresh_database, BUILD)
    assert [line.split(":")[0] for line in published.not_kept] == ["view bi.extras"]
    assert "extra" in published.not_kept[0]
    assert any("bi.extras" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    # no stale numbers: the view does not linger on the previous version
    assert read(fresh_database, "select to_regclass('bi.extras')") == [(None,)]
    assert read(fresh_database, "select version from bi.versions") == [(20,)]
    registry = read(
        fresh_database,
        "select definition, problem is not null from ops.published_views "
        "where view_schema = 'bi' and view_name = 'extras'",
    )
    assert len(registry) == 1 and "extra" in registry[0][0] and registry[0][1]

    build_version(fresh_database, 3, extra_column=False)
    again = publish(fresh_database, BUILD)  # named again, never silently forgotten
    assert [line.split(":")[0] for line in again.not_kept] == ["view bi.extras"]

    rolled_back = rollback(fresh_database)  # back to version 2: still no column extra
    assert [line.split(":")[0] for line in rolled_back.not_kept] == ["view bi.extras"]


def test_rollback_brings_back_a_view_only_the_previous_version_can_serve(
    fresh_database: str,
) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create schema bi")
        conn.execute(f"create view bi.extras as select extra, version from {PUBLISHED}.fct_one")
    build_version(fresh_database, 2, extra_column=False)
    assert publish(fresh_database, BUILD).not_kept != []
    rolled_back = rollback(fresh_database)
    assert rolled_back.not_kept == []
    assert read(fresh_database, "select extra, version from bi.extras") == [("x", 1)]


def test_what_depends_on_the_previous_version_is_named_when_it_is_dropped(
    fresh_database: str,
) -> None:
    for marker in (1, 2):
        build_version(fresh_database, marker)
        publish(fresh_database, BUILD)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create schema bi")
        conn.execute(f"create view bi.on_previous as select version from {PREVIOUS}.fct_one")
    build_version(fresh_database, 3)
    published = publish(fresh_database, BUILD)
    assert any(line.startswith("view bi.on_previous") for line in published.not_kept)
    assert read(fresh_database, "select to_regclass('bi.on_previous')") == [(None,)]


def test_a_view_the_owner_may_not_replace_is_named_and_publish_goes_on(
    fresh_database: str, analyst: str
) -> None:
    """With a warehouse role that is not superuser, another role's view on ``analytics`` cannot
    be replaced by publish: it is named, and the publish still goes through."""
    owner = f"owner_{uuid.uuid4().hex[:8]}"
    database = fresh_database.rsplit("/", 1)[1]
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f"create role {owner} login password 'plain-pw'")
        conn.execute(f'grant create on database "{database}" to {owner}')
        conn.execute(f"create schema mine authorization {analyst}")
    parts = urlsplit(fresh_database)
    owner_url = urlunsplit(parts._replace(netloc=f"{owner}:plain-pw@{parts.netloc.split('@')[1]}"))
    try:
        build_version(owner_url, 1)
        publish(owner_url, BUILD)
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute(f"grant usage on schema {PUBLISHED} to {analyst}")
            conn.execute(f"grant select on {PUBLISHED}.fct_one to {analyst}")
        with psycopg.connect(fresh_database, autocommit=True) as conn:
            conn.execute(f"set role {analyst}")
            conn.execute(f"create view mine.theirs as select version from {PUBLISHED}.fct_one")
        build_version(owner_url, 2)
        published = publish(owner_url, BUILD)
        assert versions_now(owner_url) == 2
        assert [line.split(":")[0] for line in published.not_kept] == ["view mine.theirs"]
    finally:
        with psycopg.connect(fresh_database, autocommit=True) as conn:
            conn.execute("drop schema mine cascade")
            conn.execute(f"drop owned by {owner}")
            conn.execute(f"drop role {owner}")


def versions_now(url: str) -> int:
    return read(url, f"select version from {PUBLISHED}.fct_one")[0][0]
