// The console's only ways to the gateway: who is signed in (/auth/me) and GraphQL (/graphql),
// same origin, with the session cookie. Every POST says X-Tandem-CSRF: 1 and sends JSON, as the
// gateway requires of a browser (gateway/auth/browser_safety.py).

export interface Me {
  subject: string;
  name: string;
  roles: string[];
  department: string | null;
}

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string };
}

export interface GraphQLResult<T> {
  data?: T | null;
  errors?: GraphQLError[];
}

export class NotSignedIn extends Error {}

export const GRAPHQL_PATH = "/graphql";

/** The signed-in person, or null (no session, or one that ended). */
export async function currentUser(): Promise<Me | null> {
  const response = await fetch("/auth/me", { credentials: "same-origin" });
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(`/auth/me answered ${response.status}`);
  return (await response.json()) as Me;
}

/** The gateway's login, coming back to ``returnTo`` (a path of this console). */
export function signInUrl(returnTo: string): string {
  return `/auth/login?return_to=${encodeURIComponent(returnTo)}`;
}

/** The raw fetch for GraphQL over HTTP with the browser's session (GraphiQL uses it too). */
export async function postGraphQL(body: unknown): Promise<Response> {
  return fetch(GRAPHQL_PATH, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      "x-tandem-csrf": "1",
    },
    body: JSON.stringify(body),
  });
}

/** One operation; partial data is kept (a field the policy refuses is null with an error). */
export async function graphql<T>(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResult<T>> {
  const response = await postGraphQL({ query, variables });
  if (response.status === 401) throw new NotSignedIn("the session has ended");
  const result = (await response.json()) as GraphQLResult<T>;
  if (result.data == null && result.errors?.length) {
    throw new Error(result.errors.map((e) => e.extensions?.code ?? e.message).join(", "));
  }
  return result;
}
