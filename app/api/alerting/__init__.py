"""GraphQL for alerting: channels, rules, silences and the alerts they produce."""
