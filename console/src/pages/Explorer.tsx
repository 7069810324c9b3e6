// The Explorer: GraphiQL on the gateway, as the signed-in person. Its schema comes from
// introspection through the same endpoint, so it is the schema the gateway lets this caller
// see (filtered per role where the gateway's schema_visibility is "filtered").
// A link may carry the operation to open: /explorer?query=...
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { useEffect, useMemo, useRef } from "react";
import { postGraphQL } from "../api";
import { useI18n, type MessageKey } from "../i18n";

type FetcherParams = { query: string; operationName?: string | null; variables?: unknown };

async function fetcher(params: FetcherParams): Promise<unknown> {
  const response = await postGraphQL(params);
  return response.json();
}

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

export default function Explorer() {
  const { t } = useI18n();
  const frame = useRef<HTMLDivElement>(null);
  useEditorLabels(frame, t);
  const linked = useMemo(() => new URLSearchParams(window.location.search).get("query"), []);
  useEffect(() => {
    document.title = `${t("explorerTitle")} · ${t("appName")}`;
  }, [t]);
  return (
    <section aria-labelledby="explorer-title" className="explorer">
      <h1 id="explorer-title">{t("explorerTitle")}</h1>
      <p>{t("explorerIntro")}</p>
      <div className="graphiql-frame" ref={frame}>
        <GraphiQL
          fetcher={fetcher}
          query={linked ?? undefined}
          defaultQuery={"{\n  me {\n    name\n    department { name }\n  }\n}\n"}
          isHeadersEditorEnabled={false}
          forcedTheme="light"
        />
      </div>
    </section>
  );
}
