"""Use cases shared by GraphQL resolvers and worker jobs."""
