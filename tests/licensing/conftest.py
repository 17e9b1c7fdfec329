from tests.worlds import world  # noqa: F401
