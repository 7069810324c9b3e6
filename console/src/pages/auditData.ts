// What the auditors' page reads: the mutation trails of OA and ERP (oaAuditTrail,
// erpAuditTrail through /graphql) and the decryption audit (plaintextReads at
// /admin/crypto/graphql), a page at a time by cursor, as one kind of row; and every row a
// filter matches, page after page, for the CSV export (up to EXPORT_CAP rows).
import { adminGraphql, CRYPTO_AUDIT, publicGraphql } from "./adminApi";

export type Trail = "oa" | "erp" | "decryption";
export const TRAILS: Trail[] = ["oa", "erp", "decryption"];
export const KINDS = ["CREATE", "UPDATE", "DELETE"];
/** Rows on screen per "load more". */
export const PAGE = 50;
/** Rows per request while exporting: the most each API gives at once. */
const EXPORT_PAGE: Record<Trail, number> = { oa: 100, erp: 100, decryption: 500 };
/** The most rows one export holds; past it the export says so (narrow the filters). */
export const EXPORT_CAP = 10_000;

export interface Filters {
  actor: string;
  entityType: string;
  entityId: string;
  kind: string;
  from: string;
  to: string;
}
export const NO_FILTERS: Filters = {
  actor: "", entityType: "", entityId: "", kind: "", from: "", to: "",
}; // prettier-ignore

/** One row of either kind of trail, as shown and exported. */
export interface Row {
  id: string;
  at: string;
  actor: string;
  operation: string;
  kind: string;
  entityType: string;
  entityId: string;
  detail: string;
}
export interface Page {
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
  $since: String, $until: String, $first: Int!, $after: String) {
  plaintextReads(subject: $subject, coordinate: $coordinate, entityId: $entityId, since: $since,
    until: $until, first: $first, after: $after) {
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
type PageInfo = { hasNextPage: boolean; endCursor: string | null };

/** A ``datetime-local`` value (the browser's time) as an ISO instant, or null when empty. */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : null);
const actorOf = (subject: string, clientId: string | null) =>
  clientId ? `${subject} via ${clientId}` : subject;

/** The rows of ``trail`` matching ``filters`` after cursor ``after`` (null: the newest). */
export async function fetchPage(
  trail: Trail,
  filters: Filters,
  after: string | null,
  first = PAGE,
): Promise<Page> {
  if (trail === "decryption") {
    const data = await adminGraphql<{ plaintextReads: { nodes: Read[]; pageInfo: PageInfo } }>(
      CRYPTO_AUDIT,
      READS,
      {
        subject: filters.actor || null,
        coordinate: filters.entityType || null,
        entityId: filters.entityId || null,
        since: isoOf(filters.from),
        until: isoOf(filters.to),
        first,
        after,
      },
    );
    const page = data.plaintextReads;
    return {
      rows: page.nodes.map((r) => ({
        id: r.id,
        at: r.at,
        actor: actorOf(r.subject, r.clientId),
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
  type Connection = { edges: { node: AuditRecord }[]; pageInfo: PageInfo };
  const data = await publicGraphql<Record<string, Connection>>(trailQuery(field), {
    filter,
    first,
    after,
  });
  const page = data[field];
  return {
    rows: page.edges.map(({ node }) => ({
      id: `${trail}-${node.seq}`,
      at: node.recordedAt,
      actor: actorOf(node.subject, node.clientId),
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

/** Every row of ``trail`` matching ``filters``, newest first, read page after page from the
 * newest (not only the pages on screen), at most EXPORT_CAP; ``capped`` when more remain.
 * ``progress`` hears the count so far. */
export async function fetchAll(
  trail: Trail,
  filters: Filters,
  progress: (count: number) => void,
): Promise<{ rows: Row[]; capped: boolean }> {
  const rows: Row[] = [];
  let after: string | null = null;
  for (;;) {
    const room = EXPORT_CAP - rows.length;
    const page: Page = await fetchPage(trail, filters, after, Math.min(EXPORT_PAGE[trail], room));
    rows.push(...page.rows);
    progress(rows.length);
    if (page.next === null) return { rows, capped: false };
    if (rows.length >= EXPORT_CAP) return { rows, capped: true };
    after = page.next;
  }
}
