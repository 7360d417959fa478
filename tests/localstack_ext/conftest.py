from localstack_fixture import localstack  # noqa: F401 - the session fixture
