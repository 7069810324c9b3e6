// Run a GraphQL query for a page, again every ``pollSeconds`` (Home's inbox when its live
// subscriptions are not available) and when asked (after a decision); ``patch`` changes the
// answer in place (an event a subscription brought).
import { useCallback, useEffect, useRef, useState } from "react";
import { graphql, NotSignedIn, type GraphQLError } from "./api";

export interface QueryState<T> {
  data: T | null;
  errors: GraphQLError[];
  failure: string | null;
  loading: boolean;
  updatedAt: Date | null;
  reload: () => void;
  patch: (change: (data: T) => T) => void;
}

export function useQuery<T>(
  query: string,
  variables: Record<string, unknown>,
  pollSeconds = 0,
): QueryState<T> {
  const [state, setState] = useState<Omit<QueryState<T>, "reload" | "patch">>({
    data: null,
    errors: [],
    failure: null,
    loading: true,
    updatedAt: null,
  });
  const key = JSON.stringify(variables);
  const generation = useRef(0);

  const load = useCallback(() => {
    const mine = ++generation.current;
    graphql<T>(query, JSON.parse(key) as Record<string, unknown>).then(
      (result) => {
        if (mine !== generation.current) return; // a newer answer is on its way
        setState({
          data: result.data ?? null,
          errors: result.errors ?? [],
          failure: null,
          loading: false,
          updatedAt: new Date(),
        });
      },
      (error: unknown) => {
        if (error instanceof NotSignedIn) {
          window.location.assign(`/signin?return_to=${encodeURIComponent(window.location.pathname)}`);
          return;
        }
        if (mine !== generation.current) return;
        setState((s) => ({ ...s, failure: String((error as Error).message), loading: false }));
      },
    );
  }, [query, key]);

  const patch = useCallback((change: (data: T) => T) => {
    setState((s) => (s.data === null ? s : { ...s, data: change(s.data), updatedAt: new Date() }));
  }, []);

  useEffect(load, [load]);
  useEffect(() => {
    if (pollSeconds <= 0) return;
    const timer = window.setInterval(load, pollSeconds * 1000);
    const onFocus = () => load();
    window.addEventListener("focus", onFocus);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener("focus", onFocus);
    };
  }, [load, pollSeconds]);

  return { ...state, reload: load, patch };
}
