// Run one GraphQL subscription while a component is shown, through the console's WebSocket
// (live.ts): each event's data goes to ``onData``; a subscription that ends (an error, a
// refused operation, the server completing it, a connection that could not be opened or
// reopened) calls ``onEnd`` once, so the page can go back to polling and say so.
import { useEffect, useRef, useState } from "react";
import type { GraphQLError } from "./api";
import { liveClient, watchConnection, type Connection } from "./live";

export interface Subscribed<T> {
  onData: (data: T) => void;
  onEnd: (why: string) => void;
}

export function useSubscription<T>(
  query: string,
  variables: Record<string, unknown>,
  handlers: Subscribed<T>,
  enabled = true,
): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  const key = JSON.stringify(variables);

  useEffect(() => {
    if (!enabled) return;
    let ended = false;
    const end = (why: string) => {
      if (ended) return;
      ended = true;
      latest.current.onEnd(why);
    };
    const stop = liveClient().subscribe<T>(
      { query, variables: JSON.parse(key) as Record<string, unknown> },
      {
        next: (result) => {
          if (ended) return;
          if (result.data) latest.current.onData(result.data as T);
          else end(describe(result.errors as GraphQLError[] | undefined));
        },
        error: (error: unknown) => end(describe(error)),
        complete: () => end("the server ended the subscription"),
      },
    );
    return () => {
      ended = true; // our own unsubscribe completes the sink: not an end to report
      stop();
    };
  }, [query, key, enabled]);
}

/** The live connection's state while ``enabled``, and how often it came back after being
 * dropped (its subscriptions missed what happened meanwhile: reload when this grows). */
export function useConnection(enabled = true): { state: Connection; reconnections: number } {
  const [state, setState] = useState<Connection>("connecting");
  const [reconnections, setReconnections] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    const [now, stop] = watchConnection((next, reconnected) => {
      setState(next);
      if (reconnected) setReconnections((n) => n + 1);
    });
    setState(now);
    return stop;
  }, [enabled]);
  return { state, reconnections };
}

function describe(error: unknown): string {
  if (Array.isArray(error)) {
    return error.map((e: GraphQLError) => e.extensions?.code ?? e.message).join(", ");
  }
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && "code" in error) {
    const closed = error as { code: number; reason?: string };
    return `closed ${closed.code}${closed.reason ? ` ${closed.reason}` : ""}`;
  }
  return "the connection failed";
}
