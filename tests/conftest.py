import structlog

# Until a test configures Patrol's logging, structlog renders with its defaults, whose rich
# tracebacks print every frame's locals: seconds per exception with the event loop stalled.
structlog.configure(
    processors=[
        *structlog.get_config()["processors"][:-1],
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback),
    ]
)

pytest_plugins = [
    "tests.fixtures.access",
    "tests.fixtures.alerting",
    "tests.fixtures.database",
    "tests.fixtures.fuzzing",
    "tests.fixtures.http_target",
    "tests.fixtures.kubectl",
    "tests.fixtures.logs",
    "tests.fixtures.nudges",
    "tests.fixtures.postgres",
    "tests.fixtures.processes",
    "tests.fixtures.receivers",
    "tests.fixtures.redis",
    "tests.fixtures.runtime",
    "tests.fixtures.stack",
    # Last: it imports the stack and the e2e helpers, which import the fixtures above.
    "tests.fixtures.browser",
]
