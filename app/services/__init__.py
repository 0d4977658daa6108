"""Use cases shared by GraphQL resolvers and worker jobs. Each takes the caller's session and
flushes; the caller owns the transaction (commit, or roll back on any error)."""
