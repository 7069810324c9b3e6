// The auditors' page: the mutation audit trails of OA and ERP (oaAuditTrail, erpAuditTrail
// through /graphql) and the decryption audit (plaintext reads, /admin/crypto/graphql), with
// filters, cursor pagination ("load more") and a CSV export of the rows loaded.
import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { TableHead } from "../components";
import { adminGraphql, CRYPTO_AUDIT, namesOf, publicGraphql, who } from "./adminApi";
import { useAdminText, type AdminKey } from "./adminText";
import { download, toCsv } from "./csv";
import "./admin.css";

type Trail = "oa" | "erp" | "decryption";
const TRAILS: Trail[] = ["oa", "erp", "decryption"];
const KINDS = ["CREATE", "UPDATE", "DELETE"];
const PAGE = 50;

interface Filters {
  actor: string;
  entityType: string;
  entityId: string;
  kind: string;
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { actor: "", entityType: "", entityId: "", kind: "", from: "", to: "" };

/** One row of either kind of trail, as shown and exported. */
interface Row {
  id: string;
  at: string;
  actor: string;
  operation: string;
  kind: string;
  entityType: string;
  entityId: string;
  detail: string;
}
interface Page {
  rows: Row[];
  next: string | null;
}

const RECORD = `seq recordedAt subject clientId operation kind entityType entityId
  changes { field old new encrypted }`;

const trailQuery = (field: string) => `query ConsoleAuditTrail($filter: AuditFilter, $first: Int, $after: String) {
  ${field}(filter: $filter, first: $first, after: $after) {
    edges { node { ${RECORD} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const READS = `query ConsoleDecryptions($subject: String, $coordinate: String, $entityId: String,
  $since: String, $first: Int!, $after: String) {
  plaintextReads(subject: $subject, coordinate: $coordinate, entityId: $entityId, since: $since,
    first: $first, after: $after) {
    nodes { id at subject clientId coordinate entityId rule keyId }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface AuditRecord {
  seq: number;
  recordedAt: string;
  subject: string;
  clientId: string | null;
  operation: string | null;
  kind: string;
  entityType: string;
  entityId: string;
  changes: { field: string; old: string | null; new: string | null; encrypted: boolean }[];
}
interface Read {
  id: string;
  at: string;
  subject: string;
  clientId: string | null;
  coordinate: string;
  entityId: string;
  rule: string;
  keyId: string;
}

const isoOf = (local: string) => (local ? new Date(local).toISOString() : null);

async function fetchPage(trail: Trail, filters: Filters, after: string | null): Promise<Page> {
  if (trail === "decryption") {
    const data = await adminGraphql<{
      plaintextReads: { nodes: Read[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    }>(CRYPTO_AUDIT, READS, {
      subject: filters.actor || null,
      coordinate: filters.entityType || null,
      entityId: filters.entityId || null,
      since: isoOf(filters.from),
      first: PAGE,
      after,
    });
    const until = isoOf(filters.to);
    const page = data.plaintextReads;
    return {
      // the decryption audit has no upper bound: rows after "until" are left out here
      rows: page.nodes
        .filter((r) => !until || new Date(r.at) < new Date(until))
        .map((r) => ({
          id: r.id,
          at: r.at,
          actor: r.clientId ? `${r.subject} via ${r.clientId}` : r.subject,
          operation: "read_plain",
          kind: "DECRYPT",
          entityType: r.coordinate,
          entityId: r.entityId,
          detail: `${r.rule} · key ${r.keyId}`,
        })),
      next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
    };
  }
  const field = trail === "oa" ? "oaAuditTrail" : "erpAuditTrail";
  const filter = {
    subject: filters.actor || null,
    entityType: filters.entityType || null,
    entityId: filters.entityId || null,
    kind: filters.kind || null,
    from: isoOf(filters.from),
    to: isoOf(filters.to),
  };
  type Connection = {
    edges: { node: AuditRecord }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
  const data = await publicGraphql<Record<string, Connection>>(trailQuery(field), {
    filter,
    first: PAGE,
    after,
  });
  const page = data[field];
  return {
    rows: page.edges.map(({ node }) => ({
      id: `${trail}-${node.seq}`,
      at: node.recordedAt,
      actor: node.clientId ? `${node.subject} via ${node.clientId}` : node.subject,
      operation: node.operation ?? "",
      kind: node.kind,
      entityType: node.entityType,
      entityId: node.entityId,
      detail: node.changes
        .map((c) => (c.encrypted ? `${c.field}: (encrypted)` : `${c.field}: ${c.old ?? "∅"} → ${c.new ?? "∅"}`))
        .join("; "),
    })),
    next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
  };
}

export default function Audit() {
  const { t, i18n } = useAdminText();
  const [trail, setTrail] = useState<Trail>("oa");
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      setError(null);
      try {
        const page = await fetchPage(trail, filters, after);
        setRows((shown) => (after ? [...shown, ...page.rows] : page.rows));
        setNext(page.next);
        namesOf(page.rows.map((r) => r.actor)).then(
          (found) => setNames((known) => ({ ...known, ...found })),
          () => undefined,
        );
      } catch (e) {
        if (!after) setRows([]);
        setError((e as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [trail, filters],
  );

  useEffect(() => {
    document.title = `${t("auditPageTitle")} · Tandem`;
  }, [t]);
  useEffect(() => {
    void load(null);
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
  const exportCsv = () => {
    const header = ["at", "actor", "actor_name", "operation", "kind", "entity_type", "entity_id", "detail"];
    const data = rows.map((r) => [
      r.at, r.actor, names[r.actor] ?? "", r.operation, r.kind, r.entityType, r.entityId, r.detail,
    ]);
    download(`tandem-audit-${trail}.csv`, toCsv(header, data));
  };
  const decryption = trail === "decryption";

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
          <label className="field">
            <span>{t("from")}</span>
            <input type="datetime-local" {...field("from")} />
          </label>
          <label className="field">
            <span>{t("to")}</span>
            <input type="datetime-local" {...field("to")} />
          </label>
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
          <button type="button" onClick={exportCsv} disabled={rows.length === 0}>
            {t("exportCsv")}
          </button>
          <p className="muted" aria-live="polite" id="rows-loaded">
            {t("rowsLoaded", { count: rows.length })}
          </p>
        </div>
        {error && (
          <p role="alert" className="alert">
            {error}
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
