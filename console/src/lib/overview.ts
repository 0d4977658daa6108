// The overview's grid as plain data: rows from the status summary, the filters the address
// carries, and which rows and cells a filter keeps. No Svelte here, so each piece stays cheap to
// recompute on every keystroke and live update.
import type { CheckFilterInput, CheckHealth, OverviewSummaryQuery } from "./generated/graphql";

type Summary = OverviewSummaryQuery["statusSummary"];
export type Column = Summary["columns"][number];

export type Row = {
  checkId: string;
  namespace: string;
  name: string;
  enabled: boolean;
  uptime24h: number | null;
  /** Aligned with the columns; null where the check does not run. */
  statuses: (CheckHealth | null)[];
  uptimes: (number | null)[];
  /** "namespace/name" in lower case, what the search box matches. */
  text: string;
};

/** Worst first: the order counts are shown in. */
export const STATUSES: CheckHealth[] = ["FAILING", "ERROR", "UNKNOWN", "PAUSED", "PASSING"];

export function rowsOf(summary: Summary): Row[] {
  return summary.checks.map((check) => ({
    checkId: check.checkId,
    namespace: check.namespace,
    name: check.name,
    enabled: check.enabled,
    uptime24h: check.uptime24h,
    statuses: check.statuses,
    uptimes: check.uptimes24h,
    text: `${check.namespace}/${check.name}`.toLowerCase(),
  }));
}

export type Filters = { q: string; namespace: string; cluster: string; status: CheckHealth | ""; labels: string };

const KEYS = ["q", "namespace", "cluster", "status", "labels"] as const;

export function readFilters(params: URLSearchParams): Filters {
  const status = params.get("status") ?? "";
  return {
    q: params.get("q") ?? "",
    namespace: params.get("namespace") ?? "",
    cluster: params.get("cluster") ?? "",
    status: (STATUSES as string[]).includes(status) ? (status as CheckHealth) : "",
    labels: params.get("labels") ?? "",
  };
}

/** The filters as the address's query string, only those set, in a stable order. */
export function filtersQuery(filters: Filters): string {
  const params = new URLSearchParams();
  for (const key of KEYS) if (filters[key].trim()) params.set(key, filters[key].trim());
  return params.toString();
}

export function anyFilter(filters: Filters): boolean {
  return KEYS.some((key) => filters[key].trim() !== "");
}

/** "env=prod, team=web" as the API's label filter; null when some part is not key=value. */
export function parseLabels(text: string): Record<string, string> | null {
  const labels: Record<string, string> = {};
  for (const part of text.split(",").map((each) => each.trim()).filter(Boolean)) {
    const at = part.indexOf("=");
    if (at <= 0) return null;
    labels[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return labels;
}

/** The API's filter for these labels (null: every check). */
export function labelFilterInput(labels: Record<string, string>): CheckFilterInput | null {
  if (Object.keys(labels).length === 0) return null;
  return { labels, clusterId: null, clusterName: null, namespace: null, enabled: null, search: null };
}

/** Rows kept by search, namespace and cluster (the status filter comes after: counts ignore it). */
export function matching(rows: Row[], filters: Filters, columns: number[]): Row[] {
  const needle = filters.q.trim().toLowerCase();
  const clusterOnly = filters.cluster !== "";
  return rows.filter(
    (row) =>
      (needle === "" || row.text.includes(needle)) &&
      (filters.namespace === "" || row.namespace === filters.namespace) &&
      (!clusterOnly || columns.some((index) => row.statuses[index] !== null)),
  );
}

/** Cells (check × cluster) per status among `rows`, over the columns shown. */
export function countStatuses(rows: Row[], columns: number[]): Map<CheckHealth, number> {
  const counts = new Map<CheckHealth, number>(STATUSES.map((status) => [status, 0]));
  for (const row of rows) {
    for (const index of columns) {
      const status = row.statuses[index];
      if (status) counts.set(status, (counts.get(status) ?? 0) + 1);
    }
  }
  return counts;
}

export function withStatus(rows: Row[], status: CheckHealth | "", columns: number[]): Row[] {
  if (status === "") return rows;
  return rows.filter((row) => columns.some((index) => row.statuses[index] === status));
}

export type StatusChange = { checkId: string; clusterId: string; status: CheckHealth };

/** `rows` with the changes applied (new objects for the rows that changed only), and the changes
 * that name a check or cluster the grid does not have (a new check: read the summary again). */
export function applyChanges(
  rows: Row[],
  columns: Column[],
  changes: StatusChange[],
): { rows: Row[]; unknown: StatusChange[] } {
  const rowIndex = new Map(rows.map((row, index) => [row.checkId, index]));
  const columnIndex = new Map(columns.map((column, index) => [column.clusterId, index]));
  const updated = rows.slice();
  const unknown: StatusChange[] = [];
  for (const change of changes) {
    const at = rowIndex.get(change.checkId);
    const column = columnIndex.get(change.clusterId);
    if (at === undefined || column === undefined) {
      unknown.push(change);
      continue;
    }
    const row = updated[at]!;
    const statuses = row.statuses.slice();
    statuses[column] = change.status;
    updated[at] = { ...row, statuses };
  }
  return { rows: updated, unknown };
}

export function percent(uptime: number | null | undefined): string {
  if (uptime === null || uptime === undefined) return "—";
  const value = uptime * 100;
  return `${value === 100 || value === 0 ? value.toFixed(0) : value.toFixed(1)} %`;
}
