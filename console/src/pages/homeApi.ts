// Sending a form's mutation and placing the server's coded errors: a BAD_USER_INPUT names the
// argument it is about in extensions.field ("input.items.0.sku"), so the form shows it next
// to that input; an error naming no input of the form is shown above it.
import { NotSignedIn, postGraphQL, type GraphQLError, type GraphQLResult } from "../api";

export interface FieldedError extends GraphQLError {
  extensions?: { code?: string; field?: string };
}

/** One mutation; every error kept (graphql() in api.ts throws them away when data is null). */
export async function mutate<T>(
  query: string,
  variables: Record<string, unknown>,
): Promise<{ data: T | null; errors: FieldedError[] }> {
  const response = await postGraphQL({ query, variables });
  if (response.status === 401) throw new NotSignedIn("the session has ended");
  const result = (await response.json()) as GraphQLResult<T>;
  return { data: result.data ?? null, errors: (result.errors ?? []) as FieldedError[] };
}

/** What a form shows when its mutation could not be sent (``mutate`` threw); a caller whose
 * session has ended is sent to sign in, coming back to Home. */
export function unsent(error: unknown): FieldedError[] {
  if (error instanceof NotSignedIn) window.location.assign("/signin?return_to=%2F");
  return [{ message: String((error as Error).message) }];
}

/** How an error reads on the page: its code and the server's words. */
export function describe(error: FieldedError): string {
  const code = error.extensions?.code;
  return code ? `${code}: ${error.message}` : error.message;
}

/** The errors about the input ``field`` names (itself or a part of it: input.amount.amount). */
export function errorsFor(errors: FieldedError[], field: string): FieldedError[] {
  return errors.filter((e) => {
    const named = e.extensions?.field;
    return named === field || (named?.startsWith(`${field}.`) ?? false);
  });
}

/** The errors none of the form's ``fields`` takes. */
export function otherErrors(errors: FieldedError[], fields: string[]): FieldedError[] {
  return errors.filter((e) => !fields.some((f) => errorsFor([e], f).length > 0));
}

/** A ``datetime-local`` input's value (the browser's local time) as an ISO instant. */
export function localToIso(value: string): string {
  return new Date(value).toISOString();
}

/** This month, YYYY-MM, in the browser's time zone. */
export function thisMonth(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}
