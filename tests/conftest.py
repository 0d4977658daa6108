pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.runtime",
]
