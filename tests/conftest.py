pytest_plugins = [
    "tests.fixtures.access",
    "tests.fixtures.database",
    "tests.fixtures.fuzzing",
    "tests.fixtures.http_target",
    "tests.fixtures.kubectl",
    "tests.fixtures.logs",
    "tests.fixtures.postgres",
    "tests.fixtures.processes",
    "tests.fixtures.receivers",
    "tests.fixtures.redis",
    "tests.fixtures.runtime",
    "tests.fixtures.stack",
]
