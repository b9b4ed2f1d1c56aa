"""Logs say what failed, never what the visitor typed: database errors carry SQL parameters and an action
server's error reply carries the whole tracker, so only their types (and a connection failure's first line) are logged."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from members.db import describe_error


class _DriverError(Exception):
    pass


def test_a_database_error_is_logged_without_its_sql_parameters():
    error = IntegrityError("INSERT INTO contacts (email, name) VALUES (?, ?)", ("anna@acme.lu", "Anna Muster"),
                           _DriverError('duplicate key: Key (email)=(anna@acme.lu) already exists'))
    described = describe_error(error)
    assert "IntegrityError" in described and "_DriverError" in described
    assert "anna@acme.lu" not in described and "Anna" not in described and "INSERT" not in described


def test_a_connection_failure_keeps_its_first_line_which_says_why():
    error = OperationalError(None, None, _DriverError("could not connect to server: Connection refused\nIs it up?"))
    assert describe_error(error).endswith("could not connect to server: Connection refused")


def test_a_failed_statement_on_a_lost_connection_is_logged_without_the_statement():
    error = OperationalError("UPDATE enquiries SET summary=?", ("our secret project",), _DriverError("gone away"))
    assert "secret" not in describe_error(error) and "gone away" not in describe_error(error)


def test_an_action_server_reply_body_is_not_logged():
    from rasa.utils.endpoints import ClientResponseError

    error = ClientResponseError(500, "Internal Server Error", '{"request_body": {"slots": {"email": "anna@acme.lu"}}}')
    described = describe_error(error)
    assert "HTTP 500" in described and "anna@acme.lu" not in described
