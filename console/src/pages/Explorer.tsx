// The Explorer: GraphiQL on the gateway, as the signed-in person. Its schema comes from
// introspection through the same endpoint, so it is the schema the gateway lets this caller
// see (filtered per role where the gateway's schema_visibility is "filtered").
// A link may carry the operation to open: /explorer?query=...
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { useEffect, useMemo } from "react";
import { postGraphQL } from "../api";
import { useI18n } from "../i18n";

type FetcherParams = { query: string; operationName?: string | null; variables?: unknown };

async function fetcher(params: FetcherParams): Promise<unknown> {
  const response = await postGraphQL(params);
  return response.json();
}

export default function Explorer() {
  const { t } = useI18n();
  const linked = useMemo(() => new URLSearchParams(window.location.search).get("query"), []);
  useEffect(() => {
    document.title = `${t("explorerTitle")} · ${t("appName")}`;
  }, [t]);
  return (
    <section aria-labelledby="explorer-title" className="explorer">
      <h1 id="explorer-title">{t("explorerTitle")}</h1>
      <p>{t("explorerIntro")}</p>
      <div className="graphiql-frame">
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
