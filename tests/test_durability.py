"""Commits that do not wait for the disk (stridesite.durability): the rows are written, and the
durable setting is back once the block ends, on SQLite and on PostgreSQL."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from stridesite.durability import commits_not_flushed, insert_unflushed

READ = {"sqlite": "PRAGMA synchronous", "postgresql": "SHOW synchronous_commit"}
NOT_FLUSHED = {"sqlite": 1, "postgresql": "off"}  # SQLite: 1 NORMAL, 2 FULL


def _setting():
    with connection.cursor() as cursor:
        cursor.execute(READ[connection.vendor])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_commits_in_the_block_are_not_flushed_and_the_durable_setting_comes_back():
    durable = _setting()
    with commits_not_flushed():
        inside = _setting()
        get_user_model().objects.create(username="written-in-the-block")
    assert inside == NOT_FLUSHED[connection.vendor] != durable
    assert _setting() == durable
    assert get_user_model().objects.filter(username="written-in-the-block").exists()


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_outer_commit_decides():
    durable = _setting()
    with transaction.atomic(), commits_not_flushed():
        assert _setting() == durable


@pytest.mark.django_db(transaction=True)
def test_the_durable_setting_comes_back_when_the_block_fails():
    durable = _setting()
    with pytest.raises(ZeroDivisionError), commits_not_flushed():
        1 / 0  # noqa: B018
    assert _setting() == durable


@pytest.mark.django_db(transaction=True)
def test_rows_inserted_unflushed_are_written_in_one_statement_and_the_setting_stays():
    table = get_user_model()._meta.db_table
    durable = _setting()
    rows = [[f"unflushed-{k}", "", False, False, True, "", "", ""] for k in range(3)]
    with CaptureQueriesContext(connection) as queries:
        insert_unflushed(f"INSERT INTO {table} (username, password, is_superuser, is_staff, is_active, "  # noqa: S608
                         "first_name, last_name, email, date_joined) VALUES {rows}",
                         "(%s, %s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)", rows)
    if connection.vendor == "postgresql":  # one round trip: the setting is local to its statement
        assert len(queries) == 1 and queries[0]["sql"].startswith("SET LOCAL synchronous_commit TO OFF;")
    assert _setting() == durable
    assert get_user_model().objects.filter(username__startswith="unflushed-").count() == 3
