// The auditors' page: the mutation audit trails of OA and ERP and the decryption audit
// (auditData.ts), with filters (a bad one is the server's coded error beside its input),
// cursor pagination ("load more") and a CSV export of every row the filters match.
import { useCallback, useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { TableHead } from "../components";
import { ApiError, namesOf, who } from "./adminApi";
import { useAdminText, type AdminKey } from "./adminText";
import {
  EXPORT_CAP,
  fetchAll,
  fetchPage,
  KINDS,
  NO_FILTERS,
  TRAILS,
  type Filters,
  type Row,
  type Trail,
} from "./auditData";
import { download, toCsv } from "./csv";
import "./admin.css";

/** The filter a coded error names (the trails' filter.to, the decryption audit's until...). */
const FILTER_OF: Record<string, keyof Filters> = {
  "filter.from": "from", since: "from", "filter.to": "to", until: "to",
}; // prettier-ignore
const CSV_HEADER = ["at", "actor", "actor_name", "operation", "kind", "entity_type", "entity_id", "detail"];

export default function Audit() {
  const { t, i18n } = useAdminText();
  const [trail, setTrail] = useState<Trail>("oa");
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [exported, setExported] = useState<{ count: number; done: boolean; capped?: boolean } | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);

  const generation = useRef(0);
  const load = useCallback(
    async (after: string | null) => {
      const mine = ++generation.current; // an answer to older filters is dropped
      setLoading(true);
      setError(null);
      try {
        const page = await fetchPage(trail, filters, after);
        if (mine !== generation.current) return;
        setRows((shown) => (after ? [...shown, ...page.rows] : page.rows));
        setNext(page.next);
        namesOf(page.rows.map((r) => r.actor)).then(
          (found) => setNames((known) => ({ ...known, ...found })),
          () => undefined,
        );
      } catch (e) {
        if (mine !== generation.current) return;
        if (!after) setRows([]);
        setError(e as Error);
      }
      setLoading(false);
    },
    [trail, filters],
  );

  useEffect(() => {
    document.title = `${t("auditPageTitle")} · Tandem`;
  }, [t]);
  useEffect(() => {
    void load(null);
    setExported(null); // an export's words were about the filters before
  }, [load]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const kindLabel = (kind: string) =>
    KINDS.includes(kind) ? t(`kind_${kind}` as AdminKey) : kind;
  const exportCsv = async () => {
    setExportError(null);
    setExported({ count: 0, done: false });
    try {
      const all = await fetchAll(trail, filters, (count) => setExported({ count, done: false }));
      const known = { ...names, ...(await namesOf(all.rows.map((r) => r.actor)).catch(() => ({}))) };
      const data = all.rows.map((r) => [
        r.at, r.actor, known[r.actor] ?? "", r.operation, r.kind, r.entityType, r.entityId, r.detail,
      ]); // prettier-ignore
      download(`tandem-audit-${trail}.csv`, toCsv(CSV_HEADER, data));
      setExported({ count: all.rows.length, done: true, capped: all.capped });
    } catch (e) {
      setExported(null);
      setExportError((e as Error).message);
    }
  };
  const exporting = exported !== null && !exported.done;
  const decryption = trail === "decryption";
  const badFilter = error instanceof ApiError && error.field ? FILTER_OF[error.field] : undefined;
  const invalid = (name: keyof Filters) =>
    badFilter === name
      ? { "aria-invalid": true as const, "aria-describedby": `${name}-error` }
      : {};
  const filterError = (name: keyof Filters) =>
    badFilter === name && (
      <p className="field-error alert" id={`${name}-error`} data-field={name}>
        {error?.message}
      </p>
    );

  return (
    <>
      <h1>{t("auditPageTitle")}</h1>
      <p className="muted">{t("auditIntro")}</p>
      <section aria-labelledby="filters-title" className="card stack">
        <h2 id="filters-title">{t("filtersTitle")}</h2>
        <form className="filters" onSubmit={submit}>
          <label className="field">
            <span>{t("trail")}</span>
            <select
              value={trail}
              onChange={(e) => {
                setTrail(e.target.value as Trail);
                setFilters(draft);
              }}
            >
              {TRAILS.map((name) => (
                <option key={name} value={name}>
                  {t(`trail_${name}` as AdminKey)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t("actor")}</span>
            <input {...field("actor")} />
          </label>
          <label className="field">
            <span>{decryption ? t("coordinate") : t("entityType")}</span>
            <input {...field("entityType")} />
          </label>
          <label className="field">
            <span>{t("entityId")}</span>
            <input {...field("entityId")} />
          </label>
          {!decryption && (
            <label className="field">
              <span>{t("kind")}</span>
              <select {...field("kind")}>
                <option value="">{t("anyKind")}</option>
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {kindLabel(k)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <div>
            <label className="field">
              <span>{t("from")}</span>
              <input type="datetime-local" step={1} {...field("from")} {...invalid("from")} />
            </label>
            {filterError("from")}
          </div>
          <div>
            <label className="field">
              <span>{t("to")}</span>
              <input type="datetime-local" step={1} {...field("to")} {...invalid("to")} />
            </label>
            {filterError("to")}
          </div>
          <button type="submit" className="primary">
            {t("applyFilters")}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTERS);
              setFilters(NO_FILTERS);
            }}
          >
            {t("resetFilters")}
          </button>
        </form>
      </section>
      <section aria-labelledby="trail-title" className="card stack">
        <h2 id="trail-title">{t(`trail_${trail}` as AdminKey)}</h2>
        <div className="actions">
          <button
            type="button"
            onClick={() => void exportCsv()}
            disabled={rows.length === 0 || exporting}
          >
            {t("exportCsv")}
          </button>
          <p className="muted" aria-live="polite" id="rows-loaded">
            {t("rowsLoaded", { count: rows.length })}
          </p>
        </div>
        <p role="status" id="export-status" className={exported?.capped ? "alert" : "muted"}>
          {exported === null
            ? ""
            : !exported.done
              ? t("exporting", { count: exported.count })
              : exported.capped
                ? t("exportCapped", { count: EXPORT_CAP })
                : t("exported", { count: exported.count })}
        </p>
        {exportError && (
          <p role="alert" className="alert">
            {exportError}
          </p>
        )}
        {error && !badFilter && (
          <p role="alert" className="alert">
            {error.message}
          </p>
        )}
        {!loading && !error && rows.length === 0 && <p>{t("noRows")}</p>}
        {rows.length > 0 && (
          <div className="scroll">
            <table id="audit-rows" aria-busy={loading}>
              <TableHead
                columns={[
                  t("colAt"),
                  t("colActor"),
                  t("colOperation"),
                  t("kind"),
                  decryption ? t("coordinate") : t("colEntity"),
                  decryption ? t("colRule") : t("colChanges"),
                ]}
              />
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-entity-id={r.entityId}>
                    <td>{i18n.dateTime(r.at)}</td>
                    <td>{who(r.actor, names)}</td>
                    <td>{r.operation}</td>
                    <td>{kindLabel(r.kind)}</td>
                    <th scope="row">
                      {r.entityType} {r.entityId}
                    </th>
                    <td className="detail">{r.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {loading && <p role="status">{i18n.t("loading")}</p>}
        {next && !loading && (
          <button type="button" onClick={() => void load(next)}>
            {t("loadMore")}
          </button>
        )}
      </section>
    </>
  );
}
