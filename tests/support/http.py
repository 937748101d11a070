"""Checks on the functions' HTTP answers, shared by the suites that call them."""


def assert_json_error(response, status: int, field: str | None = None, mentions: str | None = None) -> dict:
    """`response` (a Flask test response) is a JSON error with `status`, naming `field`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert error.get("field") == field
    if mentions:
        assert mentions in error["message"], error["message"]
    return error
