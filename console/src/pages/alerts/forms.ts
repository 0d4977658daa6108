// Small translations between what people type in the Alerts page's forms and what the API takes.
import type { MatcherFieldsFragment, RulesQuery } from "../../lib/generated/graphql";
import { ApiFailure } from "../../lib/client";

/** "a, b ,c" → ["a", "b", "c"]; blanks dropped. */
export function list(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((each) => each.trim())
    .filter(Boolean);
}

/** "team=payments, env=prod" → {team: "payments", env: "prod"}, or an error message. */
export function labels(text: string): Record<string, string> | string {
  const result: Record<string, string> = {};
  for (const pair of list(text)) {
    const [key, ...rest] = pair.split("=");
    if (!key?.trim() || rest.length === 0) return `Write labels as key=value, separated by commas ("${pair}" is not).`;
    result[key.trim()] = rest.join("=").trim();
  }
  return result;
}

export function labelText(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  return Object.entries(value as Record<string, string>)
    .map(([key, each]) => `${key}=${each}`)
    .join(", ");
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in a Go-style duration ("30m", "1h30m", "2d" too), or null if it is not one. */
export function durationSeconds(text: string): number | null {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) total += Number(amount) * UNIT_SECONDS[unit!]!;
  return total > 0 ? total : null;
}

type Named = { id: string; name: string };

/** What a selector matches, in words: "namespaces payments · labels team=a"; empty: everything. */
export function matcherText(
  matcher: MatcherFieldsFragment,
  checks: Map<string, string> = new Map(),
  clusters: Map<string, string> = new Map(),
): string {
  const parts: string[] = [];
  if (matcher.checkIds.length) parts.push(`checks ${matcher.checkIds.map((id) => checks.get(id) ?? id).join(", ")}`);
  if (matcher.namespaces.length) parts.push(`namespaces ${matcher.namespaces.join(", ")}`);
  if (labelText(matcher.labels)) parts.push(`labels ${labelText(matcher.labels)}`);
  if (matcher.clusterIds.length) parts.push(`clusters ${matcher.clusterIds.map((id) => clusters.get(id) ?? id).join(", ")}`);
  if (labelText(matcher.clusterLabels)) parts.push(`cluster labels ${labelText(matcher.clusterLabels)}`);
  return parts.length ? parts.join(" · ") : "every check";
}

export function byId(items: readonly Named[]): Map<string, string> {
  return new Map(items.map((item) => [item.id, item.name]));
}

export type Condition = RulesQuery["rules"][number]["condition"];

export function conditionText(condition: Condition): string {
  switch (condition.__typename) {
    case "ConsecutiveFailures":
      return `${condition.failureThreshold} failed runs in a row (resolves after ${condition.successThreshold} successes)`;
    case "FailuresInWindow":
      return `${condition.failures} of the last ${condition.runs} runs failed (resolves after ${condition.successThreshold} successes)`;
    case "FailingClusters":
      return `failing in at least ${condition.minClusters} clusters`;
    case "NoSuccessFor":
      return `no successful run for ${condition.duration}`;
    case "DurationAbove":
      return `runs take longer than ${condition.threshold}`;
  }
}

/** Each named field's message from a refused mutation, and the errors no field shows (for the
 * message above the buttons), so nothing is said twice or lost. */
export function placeErrors(failure: unknown, fields: string[]): { problems: Record<string, string | null>; rest: ApiFailure | null } {
  if (!(failure instanceof ApiFailure)) return { problems: {}, rest: new ApiFailure([{ message: String(failure), code: null, field: null }]) };
  const problems = Object.fromEntries(fields.map((field) => [field, failure.forField(field)]));
  const rest = failure.errors.filter((error) => !error.field || !fields.includes(error.field));
  return { problems, rest: rest.length ? new ApiFailure(rest) : null };
}
