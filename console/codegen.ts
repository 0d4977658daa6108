import type { CodegenConfig } from "@graphql-codegen/cli";

// Every operation the console sends is validated against Patrol's exported schema here: a stale
// query fails the build, and each gets a typed document.
const config: CodegenConfig = {
  schema: "../graphql/schema.graphql",
  documents: ["src/operations/*.graphql"],
  generates: {
    "src/lib/generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: true,
        scalars: { DateTime: "string", JSON: "unknown", ID: "string" },
      },
    },
  },
  config: { noSilentErrors: true },
};

export default config;
