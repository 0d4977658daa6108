// What the New check forms share: where an API error belongs, and reading labels and YAML typed
// into a text box (their mistakes are shown at the field before anything is sent).
import { tick } from "svelte";
import { ApiFailure } from "../../lib/client";

/** The API's message for `field` or for a part of it (`podSpec.containers[0].image`). */
export function messageFor(failure: ApiFailure | null, field: string): string | null {
  return failure?.forField(field) ?? failure?.errors.find((error) => within(error.field, field))?.message ?? null;
}

/** The errors that no field of the form shows, for the message above the form. */
export function unplaced(failure: ApiFailure | null, fields: string[]): ApiFailure | null {
  const left = failure?.errors.filter((error) => !fields.some((field) => within(error.field, field))) ?? [];
  return left.length > 0 ? new ApiFailure(left) : null;
}

function within(errorField: string | null, field: string): boolean {
  return errorField === field || !!errorField?.startsWith(`${field}.`) || !!errorField?.startsWith(`${field}[`);
}

/** `team=sre` per line (or comma-separated) into a label map; a malformed entry is an error. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of text.split(/[\n,]/).map((each) => each.trim()).filter(Boolean)) {
    const equals = entry.indexOf("=");
    if (equals <= 0) throw new Error(`labels: "${entry}" is not key=value`);
    labels[entry.slice(0, equals).trim()] = entry.slice(equals + 1).trim();
  }
  return labels;
}

/** One YAML document that must be a mapping; errors name the line, as an editor would. */
export async function parseYamlObject(text: string, what: string): Promise<Record<string, unknown>> {
  const { parseDocument } = await import("yaml");
  const document = parseDocument(text);
  const problem = document.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line;
    throw new Error(`${what}: ${line ? `line ${line}: ` : ""}${problem.message.split("\n")[0]}`);
  }
  const value: unknown = document.toJS();
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${what}: must be a YAML mapping (a core/v1 PodSpec with containers:)`);
  }
  return value as Record<string, unknown>;
}

/** After a refused submit, takes the keyboard to the first field that says what is wrong. */
export async function focusFirstInvalid(form: HTMLElement | undefined): Promise<void> {
  await tick();
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
