from tests.support.postgres import postgres_url  # noqa: F401 - the session fixture
