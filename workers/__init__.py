"""ARQ worker: job functions are thin and call services."""
