// The plan API (POST /plan, gateway/http/plan.py) as the Explorer asks it: same origin, the
// session cookie, X-Tandem-CSRF: 1 and JSON, as every console POST.

export interface PlanAnswer {
  plan: { text: string; node: unknown };
  subgraphs: string[];
  cost: { estimated: number; max: number | null; defaultListSize: number; problems: string[] };
  denied: string[];
  withheld: number;
}

export interface PlanRequest {
  query: string;
  operationName?: string | null;
  variables?: unknown;
}

export type PlanOutcome =
  | { kind: "plan"; answer: PlanAnswer }
  | { kind: "notAllowed" }
  | { kind: "signedOut" }
  | { kind: "failed"; code: string; message: string };

/** The plan of ``request`` for the signed-in person, or why there is none. */
export async function requestPlan(request: PlanRequest, signal?: AbortSignal): Promise<PlanOutcome> {
  const response = await fetch("/plan", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-tandem-csrf": "1" },
    body: JSON.stringify(request),
    signal,
  });
  if (response.status === 401) return { kind: "signedOut" };
  const body = (await response.json()) as PlanAnswer & {
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const first = body.errors?.[0];
  if (response.status === 403 && first?.extensions?.code === "FORBIDDEN") {
    return { kind: "notAllowed" };
  }
  if (!response.ok || first) {
    return {
      kind: "failed",
      code: first?.extensions?.code ?? String(response.status),
      message: first?.message ?? response.statusText,
    };
  }
  return { kind: "plan", answer: body };
}

/** The variables editor's text as JSON, or undefined while it is not an object yet. */
export function parsedVariables(text: string | undefined): Record<string, unknown> | undefined {
  if (!text || !text.trim()) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
