"""The GraphQL API: Strawberry types, inputs, queries, mutations, context and dataloaders."""
