// The Explorer: GraphiQL on the gateway, as the signed-in person. Its schema comes from
// introspection through the same endpoint, so it is the schema the gateway lets this caller
// see (filtered per role where the gateway's schema_visibility is "filtered"). Beside it, the
// plan panel (PlanPanel.tsx) shows the query plan and estimated cost of the operation in the
// editor, asked of POST /plan when the operation is edited (after a pause) and when it runs;
// a person whose role may not see plans is told so there.
// A link may carry the operation to open: /explorer?query=...
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type ComponentProps } from "react";
import { postGraphQL } from "../api";
import { useI18n, type MessageKey } from "../i18n";
import "./explorer.css";
import { parsedVariables, requestPlan, type PlanRequest } from "./explorerPlan";
import { PlanPanel, type PlanState } from "./PlanPanel";

const DEFAULT_QUERY = "{\n  me {\n    name\n    department { name }\n  }\n}\n";
const PLAN_PAUSE_MS = 600; // typing pauses this long before the edited operation is planned

// GraphiQL's editors (CodeMirror) take input through textareas without a label: name each one
// for screen readers by the editor it belongs to, whenever GraphiQL (re)creates them.
const EDITORS: [string, MessageKey][] = [
  [".graphiql-query-editor", "editorOperation"],
  [".graphiql-editor-tool", "editorVariables"],
  [".result-window", "editorResult"],
];

function useEditorLabels(frame: React.RefObject<HTMLDivElement | null>, t: (k: MessageKey) => string) {
  useEffect(() => {
    const root = frame.current;
    if (!root) return;
    const label = () => {
      for (const [within, key] of EDITORS) {
        root.querySelectorAll(`${within} textarea`).forEach((area) => {
          if (area.getAttribute("aria-label") !== t(key)) area.setAttribute("aria-label", t(key));
        });
      }
    };
    label();
    const observer = new MutationObserver(label);
    observer.observe(root, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [frame, t]);
}

/** The plan of the latest operation asked for; an older answer arriving late is dropped. */
function usePlan(): [PlanState, (request: PlanRequest) => void] {
  const [state, setState] = useState<PlanState>({ kind: "idle" });
  const latest = useRef<AbortController | null>(null);
  const ask = useCallback((request: PlanRequest) => {
    latest.current?.abort();
    const controller = new AbortController();
    latest.current = controller;
    if (!request.query.trim()) {
      setState({ kind: "idle" });
      return;
    }
    setState({ kind: "loading" });
    requestPlan(request, controller.signal).then(
      (outcome) => {
        if (latest.current === controller) setState(outcome);
      },
      (error: unknown) => {
        if (latest.current !== controller || controller.signal.aborted) return;
        setState({ kind: "failed", code: "NETWORK", message: String(error) });
      },
    );
  }, []);
  useEffect(() => () => latest.current?.abort(), []);
  return [state, ask];
}

export default function Explorer() {
  const { t } = useI18n();
  const frame = useRef<HTMLDivElement>(null);
  useEditorLabels(frame, t);
  const linked = useMemo(() => new URLSearchParams(window.location.search).get("query"), []);
  useEffect(() => {
    document.title = `${t("explorerTitle")} · ${t("appName")}`;
  }, [t]);
  const [plan, askPlan] = usePlan();
  // the operation in the editors, planned after a pause in typing
  const editing = useRef<PlanRequest>({ query: linked ?? DEFAULT_QUERY });
  const pause = useRef<number | undefined>(undefined);
  const planLater = useCallback(() => {
    window.clearTimeout(pause.current);
    pause.current = window.setTimeout(() => askPlan({ ...editing.current }), PLAN_PAUSE_MS);
  }, [askPlan]);
  useEffect(() => {
    // a linked operation is the one in the editor; else GraphiQL may restore another tab's,
    // so the plan waits for the first edit or run
    if (linked) askPlan({ ...editing.current });
    return () => window.clearTimeout(pause.current);
  }, [askPlan, linked]);
  const fetcher = useCallback<ComponentProps<typeof GraphiQL>["fetcher"]>(
    async (params) => {
      if (params.operationName !== "IntrospectionQuery") {
        window.clearTimeout(pause.current);
        askPlan({ query: params.query, operationName: params.operationName, variables: params.variables });
      }
      const response = await postGraphQL(params);
      return response.json();
    },
    [askPlan],
  );
  return (
    <section aria-labelledby="explorer-title" className="explorer">
      <h1 id="explorer-title">{t("explorerTitle")}</h1>
      <p>{t("explorerIntro")}</p>
      <div className="explorer-panes">
        <div className="graphiql-frame" ref={frame}>
          <GraphiQL
            fetcher={fetcher}
            query={linked ?? undefined}
            defaultQuery={DEFAULT_QUERY}
            isHeadersEditorEnabled={false}
            forcedTheme="light"
            onEditQuery={(query) => {
              editing.current = { ...editing.current, query };
              planLater();
            }}
            onEditVariables={(text) => {
              editing.current = { ...editing.current, variables: parsedVariables(text) };
              planLater();
            }}
            onEditOperationName={(operationName) => {
              editing.current = { ...editing.current, operationName: operationName || null };
              planLater();
            }}
          />
        </div>
        <PlanPanel state={plan} />
      </div>
    </section>
  );
}
