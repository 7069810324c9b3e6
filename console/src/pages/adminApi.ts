// The gateway's admin APIs, as any browser client calls them: the policy admin API
// (/admin/graphql) and the decryption audit (/admin/crypto/graphql), same origin, the session
// cookie, X-Tandem-CSRF: 1 and JSON. Each is guarded by the policy itself: a refused field
// refuses the operation (FORBIDDEN), shown as the error's code and message.
import { graphql, NotSignedIn, postGraphQL, type GraphQLError, type GraphQLResult } from "../api";

export const POLICY_ADMIN = "/admin/graphql";
export const CRYPTO_AUDIT = "/admin/crypto/graphql";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** The argument a BAD_USER_INPUT is about (extensions.field: "filter.to", "until"). */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

function refusal(errors: GraphQLError[]): ApiError {
  const first = errors[0] as (GraphQLError & { extensions?: { field?: string } }) | undefined;
  const code = first?.extensions?.code ?? "ERROR";
  return new ApiError(`${code}: ${first?.message ?? ""}`, code, first?.extensions?.field ?? null);
}

/** One operation on an admin endpoint; its data, or an ApiError with the first error's code. */
export async function adminGraphql<T>(
  path: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-tandem-csrf": "1" },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new NotSignedIn("the session has ended");
  const body = (await response.json()) as { data?: T | null; errors?: GraphQLError[] };
  if (body.errors?.length) throw refusal(body.errors);
  if (body.data == null) throw new ApiError(`HTTP ${response.status}`, "ERROR");
  return body.data;
}

/** The public API's operation for pages that need all of it (an error refuses it all, with
 * the argument it names: a BAD_USER_INPUT of a non-null field leaves no data). */
export async function publicGraphql<T>(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await postGraphQL({ query, variables });
  if (response.status === 401) throw new NotSignedIn("the session has ended");
  const result = (await response.json()) as GraphQLResult<T>;
  if (result.errors?.length) throw refusal(result.errors);
  if (result.data == null) throw new ApiError(`HTTP ${response.status}`, "ERROR");
  return result.data;
}

/** Display names of employee ids (emp-012 -> "Wei Lu"), read through /graphql as the caller
 * may; ids it cannot read (system:oa, a client) are left out. */
export async function namesOf(subjects: Iterable<string>): Promise<Record<string, string>> {
  const ids = [...new Set(subjects)].filter((s) => /^emp-[0-9]+$/.test(s));
  if (ids.length === 0) return {};
  const fields = ids.map((_, i) => `e${i}: employee(id: $e${i}) { id name }`).join(" ");
  const query = `query PeopleNames(${ids.map((_, i) => `$e${i}: ID!`).join(", ")}) { ${fields} }`;
  const variables = Object.fromEntries(ids.map((id, i) => [`e${i}`, id]));
  const result = await graphql<Record<string, { id: string; name: string } | null>>(
    query,
    variables,
  );
  const names: Record<string, string> = {};
  for (const person of Object.values(result.data ?? {})) {
    if (person) names[person.id] = person.name;
  }
  return names;
}

/** "Wei Lu (emp-012)", or the subject itself when no name is known. */
export function who(subject: string, names: Record<string, string>): string {
  const name = names[subject];
  return name ? `${name} (${subject})` : subject;
}
