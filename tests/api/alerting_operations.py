"""GraphQL documents and inputs shared by the alerting API tests."""

from __future__ import annotations

from typing import Any

CHANNEL_FIELDS = "id name description maskedUrls tags createdAt updatedAt"
CREATE_CHANNEL = (
    "mutation($input: CreateChannelInput!) { createChannel(input: $input) { "
    + CHANNEL_FIELDS
    + " } }"
)
UPDATE_CHANNEL = (
    "mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { "
    + CHANNEL_FIELDS
    + " } }"
)
DELETE_CHANNEL = "mutation($id: ID!) { deleteChannel(id: $id) }"
CHANNELS = "{ channels { " + CHANNEL_FIELDS + " } }"
TEST_CHANNEL = (
    "mutation($id: ID!) { testChannel(id: $id) { ok channel { name maskedUrls } "
    "results { index maskedUrl status permanent error } } }"
)

RULE_FIELDS = """id name enabled severity channelIds sendOnResolved reminderInterval
executionErrors templateError
condition { __typename
  ... on ConsecutiveFailures { failureThreshold successThreshold }
  ... on FailuresInWindow { failures runs successThreshold }
  ... on FailingClusters { minClusters failureThreshold successThreshold }
  ... on NoSuccessFor { duration }
  ... on DurationAbove { threshold failureThreshold successThreshold } }
selector { checkIds namespaces labels clusterIds clusterLabels }
templates { title body }"""
CREATE_RULE = (
    "mutation($input: CreateRuleInput!) { createRule(input: $input) { " + RULE_FIELDS + " } }"
)
UPDATE_RULE = (
    "mutation($input: UpdateRuleInput!) { updateRule(input: $input) { " + RULE_FIELDS + " } }"
)
DELETE_RULE = "mutation($id: ID!) { deleteRule(id: $id) }"
RULES = "{ rules { " + RULE_FIELDS + " } }"

SILENCE_FIELDS = """id author comment active expiredAt createdAt
matchers { checkIds namespaces labels clusterIds clusterLabels }
window { __typename ... on OneOffWindow { startsAt endsAt }
  ... on RecurringWindow { cron duration timezone } }"""
CREATE_SILENCE = (
    "mutation($input: CreateSilenceInput!) { createSilence(input: $input) { "
    + SILENCE_FIELDS
    + " } }"
)
EXPIRE_SILENCE = "mutation($id: ID!) { expireSilence(id: $id) { " + SILENCE_FIELDS + " } }"
DELETE_SILENCE = "mutation($id: ID!) { deleteSilence(id: $id) }"
SILENCES = "query($all: Boolean!) { silences(includeExpired: $all) { " + SILENCE_FIELDS + " } }"


def rule_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "payments failing",
        "condition": {"consecutiveFailures": {"failureThreshold": 3, "successThreshold": 2}},
        "selector": {"namespaces": ["payments"]},
        "severity": "CRITICAL",
        **overrides,
    }
