pytest_plugins = [
    "tests.fixtures.access",
    "tests.fixtures.database",
    "tests.fixtures.http_target",
    "tests.fixtures.postgres",
    "tests.fixtures.processes",
    "tests.fixtures.redis",
    "tests.fixtures.runtime",
    "tests.fixtures.stack",
]
