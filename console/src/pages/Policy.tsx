// The security team's policy editor: the rules in force as a searchable table; a change
// (rules removed, edited, added) is checked by the admin API's dry run (lint, the policy test
// cases it reaches, who gains or loses which field) before it is applied; explain; versions
// with rollback; the change audit with who, when and what.
import { useCallback, useEffect, useMemo, useState } from "react";
import type { FormEvent } from "react";
import { Failure, Loading, TableHead } from "../components";
import { adminGraphql, ApiError, namesOf, POLICY_ADMIN, who } from "./adminApi";
import { useAdminText } from "./adminText";
import "./admin.css";

export interface Rule {
  subject: string;
  domain: string;
  object: string;
  action: string;
  effect: string;
}
interface RuleRow extends Rule {
  text: string;
}
interface Version {
  version: number;
  author: string;
  createdAt: string;
  action: string;
  comment: string;
  ruleCount: number;
}
interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  kind: string;
  action: string;
  version: number | null;
  comment: string;
  before: string[];
  after: string[];
}
interface Preview {
  baseVersion: number;
  problems: { rule: string; kind: string; message: string }[];
  tests: { name: string; passed: boolean; failures: string[] }[];
  testCaseCount: number;
  effects: { role: string; change: string; coordinate: string; action: string; related: boolean }[];
}
interface Change {
  add: Rule[];
  remove: RuleRow[];
}

const ACTIONS = ["read", "write", "read_plain", "read_masked", "*"];
const RULE_FIELDS = "subject domain object action effect text";
const POLICY = `query ConsolePolicy {
  currentVersion
  rules { ${RULE_FIELDS} }
  policyVersions(first: 20) { nodes { version author createdAt action comment ruleCount } }
}`;
const AUDIT = `query ConsolePolicyAudit($after: String) {
  policyAudit(first: 20, after: $after) {
    nodes { id at actor kind action version comment before after }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PREVIEW = `query ConsolePolicyPreview($add: [PolicyRuleInput!]!, $remove: [PolicyRuleInput!]!) {
  previewPolicyChange(add: $add, remove: $remove) {
    baseVersion testCaseCount
    problems { rule kind message }
    tests { name passed failures }
    effects { role change coordinate action related }
  }
}`;
const OUTCOME = "status version { version } request { id }";
const EXPLAIN = `query ConsoleExplain($subject: String!, $roles: [String!]!, $department: String,
  $coordinate: String!, $action: String!) {
  explainPolicy(subject: $subject, roles: $roles, department: $department,
    coordinate: $coordinate, action: $action) { allowed rule byDefault relatedOnly }
}`;
const MAX_ROWS = 100; // rows shown at once: the search narrows the rest

const ruleOf = (r: Rule): Rule => ({
  subject: r.subject,
  domain: r.domain,
  object: r.object,
  action: r.action,
  effect: r.effect,
});
const textOf = (r: Rule) => `p, ${r.subject}, ${r.domain}, ${r.object}, ${r.action}, ${r.effect}`;

export default function Policy() {
  const { t } = useAdminText();
  const [policy, setPolicy] = useState<{
    version: number;
    rules: RuleRow[];
    versions: Version[];
  } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [auditCursor, setAuditCursor] = useState<string | null>(null);
  const [change, setChange] = useState<Change>({ add: [], remove: [] });
  const [outcome, setOutcome] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const data = await adminGraphql<{
        currentVersion: number;
        rules: RuleRow[];
        policyVersions: { nodes: Version[] };
      }>(POLICY_ADMIN, POLICY);
      const page = await adminGraphql<{
        policyAudit: { nodes: AuditEntry[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      }>(POLICY_ADMIN, AUDIT);
      setPolicy({ version: data.currentVersion, rules: data.rules, versions: data.policyVersions.nodes });
      setAudit(page.policyAudit.nodes);
      setAuditCursor(page.policyAudit.pageInfo.hasNextPage ? page.policyAudit.pageInfo.endCursor : null);
      setFailure(null);
      const people = [
        ...data.policyVersions.nodes.map((v) => v.author),
        ...page.policyAudit.nodes.map((a) => a.actor),
      ];
      namesOf(people).then((found) => setNames((known) => ({ ...known, ...found })), () => undefined);
    } catch (error) {
      setFailure((error as Error).message);
    }
  }, []);

  useEffect(() => {
    document.title = `${t("policyTitle")} · Tandem`;
  }, [t]);
  useEffect(() => {
    void load();
  }, [load]);

  const olderAudit = async () => {
    const page = await adminGraphql<{
      policyAudit: { nodes: AuditEntry[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    }>(POLICY_ADMIN, AUDIT, { after: auditCursor });
    setAudit((shown) => [...shown, ...page.policyAudit.nodes]);
    setAuditCursor(page.policyAudit.pageInfo.hasNextPage ? page.policyAudit.pageInfo.endCursor : null);
    const found = await namesOf(page.policyAudit.nodes.map((a) => a.actor));
    setNames((known) => ({ ...known, ...found }));
  };

  const applied = (message: string) => {
    setOutcome(message);
    setChange({ add: [], remove: [] });
    void load();
  };

  return (
    <>
      <h1>{t("policyTitle")}</h1>
      <p className="muted">{t("policyIntro")}</p>
      {failure && <Failure message={failure} retry={() => void load()} />}
      {outcome && (
        <p role="status" className="ok" id="policy-outcome">
          {outcome}
        </p>
      )}
      {!policy && !failure && <Loading />}
      {policy && (
        <>
          <p id="policy-version">{t("version", { version: policy.version })}</p>
          <RulesTable
            rules={policy.rules}
            change={change}
            onRemove={(rule) => {
              setOutcome(null);
              setChange((c) => ({ ...c, remove: [...c.remove, rule] }));
            }}
            onEdit={(rule, fill) => {
              setOutcome(null);
              setChange((c) => ({ ...c, remove: [...c.remove, rule] }));
              fill(rule);
            }}
            onAdd={(rule) => {
              setOutcome(null);
              setChange((c) => ({ ...c, add: [...c.add, rule] }));
            }}
          />
          <ChangePanel
            change={change}
            setChange={setChange}
            rules={policy.rules}
            onApplied={applied}
          />
          <Explain />
          <Versions
            versions={policy.versions}
            current={policy.version}
            names={names}
            onRolledBack={applied}
          />
          <section aria-labelledby="policy-audit-title" className="card stack">
            <h2 id="policy-audit-title">{t("auditTitle")}</h2>
            <div className="scroll">
              <table id="policy-audit">
                <TableHead
                  columns={[
                    t("colWhen"),
                    t("colWho"),
                    t("colKind"),
                    t("colVersion"),
                    t("colComment"),
                    t("colLines"),
                  ]}
                />
                <tbody>
                  {audit.map((entry) => (
                    <AuditRow key={entry.id} entry={entry} names={names} />
                  ))}
                </tbody>
              </table>
            </div>
            {auditCursor && (
              <button type="button" onClick={() => void olderAudit()}>
                {t("older")}
              </button>
            )}
          </section>
        </>
      )}
    </>
  );
}

function AuditRow({ entry, names }: { entry: AuditEntry; names: Record<string, string> }) {
  const { i18n } = useAdminText();
  return (
    <tr data-audit-id={entry.id}>
      <td>{i18n.dateTime(entry.at)}</td>
      <td className="actor">{who(entry.actor, names)}</td>
      <td>
        {entry.kind} · {entry.action}
      </td>
      <td className="num">{entry.version ?? "—"}</td>
      <td>{entry.comment}</td>
      <td>
        <Lines entry={entry} />
      </td>
    </tr>
  );
}

const LINES_SHOWN = 6; // a seed or a rollback lists hundreds: the rest behind "more"

function Lines({ entry }: { entry: AuditEntry }) {
  const { t } = useAdminText();
  const lines = [
    ...entry.before.map((line) => ({ line, sign: "−", kind: "removed" })),
    ...entry.after.map((line) => ({ line, sign: "+", kind: "added" })),
  ];
  const item = (l: (typeof lines)[number]) => (
    <li key={`${l.sign}${l.line}`} className={l.kind}>
      {l.sign} {l.line}
    </li>
  );
  return (
    <>
      <ul className="lines">{lines.slice(0, LINES_SHOWN).map(item)}</ul>
      {lines.length > LINES_SHOWN && (
        <details>
          <summary>{t("moreLines", { count: lines.length - LINES_SHOWN })}</summary>
          <ul className="lines">{lines.slice(LINES_SHOWN).map(item)}</ul>
        </details>
      )}
    </>
  );
}

function RulesTable(props: {
  rules: RuleRow[];
  change: Change;
  onRemove: (rule: RuleRow) => void;
  onEdit: (rule: RuleRow, fill: (rule: Rule) => void) => void;
  onAdd: (rule: Rule) => void;
}) {
  const { t } = useAdminText();
  const [search, setSearch] = useState("");
  const [draft, setDraft] = useState<Rule>({
    subject: "",
    domain: "*",
    object: "",
    action: "read",
    effect: "allow",
  });
  const staged = new Set(props.change.remove.map((r) => r.text));
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = props.rules.filter((r) => words.every((w) => r.text.toLowerCase().includes(w)));
  const shown = matching.slice(0, MAX_ROWS);
  const field = (name: keyof Rule) => ({
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    props.onAdd(ruleOf(draft));
  };
  return (
    <section aria-labelledby="rules-title" className="card stack">
      <h2 id="rules-title">{t("rulesTitle")}</h2>
      <label className="field">
        <span>{t("searchRules")}</span>
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      <p className="muted" aria-live="polite">
        {t("rulesShown", { shown: shown.length, total: props.rules.length })}
      </p>
      <div className="scroll rules">
        <table id="rules">
          <TableHead
            columns={[
              t("colSubject"),
              t("colDomain"),
              t("colObject"),
              t("colAction"),
              t("colEffect"),
              t("colActions"),
            ]}
          />
          <tbody>
            {shown.map((rule) => (
              <tr key={rule.text} data-rule={rule.text} className={staged.has(rule.text) ? "staged" : undefined}>
                <td>{rule.subject}</td>
                <td>{rule.domain}</td>
                <th scope="row">{rule.object}</th>
                <td>{rule.action}</td>
                <td>{rule.effect}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    disabled={staged.has(rule.text)}
                    aria-label={t("editRule", { rule: rule.text })}
                    onClick={() => props.onEdit(rule, (r) => setDraft(ruleOf(r)))}
                  >
                    {t("edit")}
                  </button>
                  <button
                    type="button"
                    disabled={staged.has(rule.text)}
                    aria-label={t("removeRule", { rule: rule.text })}
                    onClick={() => props.onRemove(rule)}
                  >
                    {t("remove")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="rule-form" onSubmit={submit} aria-labelledby="rule-form-title">
        <h3 id="rule-form-title">{t("ruleForm")}</h3>
        <label className="field">
          <span>{t("colSubject")}</span>
          <input required {...field("subject")} />
        </label>
        <label className="field">
          <span>{t("colDomain")}</span>
          <input required {...field("domain")} />
        </label>
        <label className="field">
          <span>{t("colObject")}</span>
          <input required {...field("object")} />
        </label>
        <label className="field">
          <span>{t("colAction")}</span>
          <select {...field("action")}>
            {ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("colEffect")}</span>
          <select {...field("effect")}>
            <option>allow</option>
            <option>deny</option>
          </select>
        </label>
        <button type="submit">{t("addRule")}</button>
      </form>
    </section>
  );
}

function ChangePanel(props: {
  change: Change;
  setChange: (change: Change) => void;
  rules: RuleRow[];
  onApplied: (message: string) => void;
}) {
  const { t } = useAdminText();
  const { change } = props;
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [comment, setComment] = useState("");
  const [dryRun, setDryRun] = useState(false);
  const empty = change.add.length === 0 && change.remove.length === 0;
  const key = useMemo(() => JSON.stringify([change.add, change.remove.map(ruleOf)]), [change]);

  useEffect(() => {
    setPreview(null);
    setError(null);
    if (empty) return;
    let current = true;
    setBusy(true);
    adminGraphql<{ previewPolicyChange: Preview }>(POLICY_ADMIN, PREVIEW, {
      add: change.add,
      remove: change.remove.map(ruleOf),
    }).then(
      (data) => current && setPreview(data.previewPolicyChange),
      (e: unknown) => current && setError((e as Error).message),
    ).finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [key]); // the change itself, by value

  const apply = async () => {
    if (!preview) return;
    setBusy(true);
    setError(null);
    const common = { expectedVersion: preview.baseVersion, comment: comment || null };
    try {
      let result: { status: string; version: { version: number } | null; request: { id: string } | null };
      if (change.add.length === 1 && change.remove.length === 0) {
        const data = await adminGraphql<{ addPolicyRule: typeof result }>(
          POLICY_ADMIN,
          `mutation ConsoleAddRule($rule: PolicyRuleInput!, $expectedVersion: Int, $comment: String) {
            addPolicyRule(rule: $rule, expectedVersion: $expectedVersion, comment: $comment) { ${OUTCOME} } }`,
          { rule: change.add[0], ...common },
        );
        result = data.addPolicyRule;
      } else if (change.add.length === 0 && change.remove.length === 1) {
        const data = await adminGraphql<{ removePolicyRule: typeof result }>(
          POLICY_ADMIN,
          `mutation ConsoleRemoveRule($rule: PolicyRuleInput!, $expectedVersion: Int, $comment: String) {
            removePolicyRule(rule: $rule, expectedVersion: $expectedVersion, comment: $comment) { ${OUTCOME} } }`,
          { rule: ruleOf(change.remove[0]), ...common },
        );
        result = data.removePolicyRule;
      } else {
        const gone = new Set(change.remove.map((r) => r.text));
        const rules = [...props.rules.filter((r) => !gone.has(r.text)).map(ruleOf), ...change.add];
        const data = await adminGraphql<{ replacePolicyRules: typeof result }>(
          POLICY_ADMIN,
          `mutation ConsoleReplaceRules($rules: [PolicyRuleInput!]!, $expectedVersion: Int, $comment: String) {
            replacePolicyRules(rules: $rules, expectedVersion: $expectedVersion, comment: $comment) { ${OUTCOME} } }`,
          { rules, ...common },
        );
        result = data.replacePolicyRules;
      }
      setComment("");
      props.onApplied(
        result.status === "PENDING"
          ? t("pending", { id: result.request?.id ?? "" })
          : t("applied", { version: result.version?.version ?? "" }),
      );
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="change-title" className="card stack" id="change">
      <h2 id="change-title">{t("changeTitle")}</h2>
      {empty ? (
        <p>{t("changeEmpty")}</p>
      ) : (
        <>
          <ul className="lines" id="change-lines">
            {change.remove.map((rule, i) => (
              <li key={`-${rule.text}`} className="removed">
                {t("willRemove")}: <code>{rule.text}</code>{" "}
                <button
                  type="button"
                  aria-label={t("undoLine", { rule: rule.text })}
                  onClick={() => props.setChange({ ...change, remove: change.remove.filter((_, j) => j !== i) })}
                >
                  {t("undo")}
                </button>
              </li>
            ))}
            {change.add.map((rule, i) => (
              <li key={`+${textOf(rule)}`} className="added">
                {t("willAdd")}: <code>{textOf(rule)}</code>{" "}
                <button
                  type="button"
                  aria-label={t("undoLine", { rule: textOf(rule) })}
                  onClick={() => props.setChange({ ...change, add: change.add.filter((_, j) => j !== i) })}
                >
                  {t("undo")}
                </button>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => props.setChange({ add: [], remove: [] })}>
            {t("discard")}
          </button>
          <div id="preview" aria-live="polite" aria-busy={busy}>
            <h3>{t("previewTitle")}</h3>
            {busy && !preview && <p role="status">{t("previewing")}</p>}
            {error && (
              <p role="alert" className="alert">
                {error}
              </p>
            )}
            {preview && <PreviewView preview={preview} />}
          </div>
          <label className="field">
            <span>{t("comment")}</span>
            <input value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <label className="check">
            <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />{" "}
            {t("dryRun")}
          </label>
          {dryRun && <p className="muted">{t("dryRunNote")}</p>}
          <div className="actions">
            <button type="button" className="primary" disabled={!preview || busy || dryRun} onClick={() => void apply()}>
              {t("apply")}
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function PreviewView({ preview }: { preview: Preview }) {
  const { t } = useAdminText();
  const failed = preview.tests.filter((c) => !c.passed);
  return (
    <div className="preview">
      <h4>{t("lintTitle")}</h4>
      {preview.problems.length === 0 ? (
        <p className="ok" id="lint">{t("lintClean")}</p>
      ) : (
        <ul id="lint" className="alert">
          {preview.problems.map((p) => (
            <li key={`${p.rule}-${p.kind}`}>
              <code>{p.rule}</code>: {p.kind}: {p.message}
            </li>
          ))}
        </ul>
      )}
      <h4>{t("testsTitle")}</h4>
      <div id="tests">
        {preview.tests.length === 0 ? (
          <p>{t("testsNone", { total: preview.testCaseCount })}</p>
        ) : (
          <>
            <p className={failed.length ? "alert" : "ok"}>
              {t("testsSummary", {
                run: preview.tests.length,
                total: preview.testCaseCount,
                passed: preview.tests.length - failed.length,
                failed: failed.length,
              })}
            </p>
            <ul>
              {preview.tests.map((c) => (
                <li key={c.name}>
                  <strong className={c.passed ? "ok" : "alert"}>{c.passed ? t("pass") : t("fail")}</strong> {c.name}
                  {c.failures.length > 0 && (
                    <ul>
                      {c.failures.map((f) => (
                        <li key={f}>{f}</li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      <h4>{t("effectTitle")}</h4>
      {preview.effects.length === 0 ? (
        <p id="effects">{t("effectNone")}</p>
      ) : (
        <div className="scroll">
          <table id="effects">
            <TableHead
              columns={[
                t("colRole"),
                t("colChange"),
                t("colCoordinate"),
                t("colAction"),
              ]}
            />
            <tbody>
              {preview.effects.map((e) => (
                <tr key={`${e.role}-${e.coordinate}-${e.action}`}>
                  <th scope="row">{e.role}</th>
                  <td className={e.change === "GAIN" ? "ok" : "alert"}>
                    {e.change === "GAIN" ? t("gain") : t("lose")} {e.related ? t("relatedOnly") : ""}
                  </td>
                  <td>
                    <code>{e.coordinate}</code>
                  </td>
                  <td>{e.action}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Explain() {
  const { t } = useAdminText();
  const [form, setForm] = useState({
    subject: "",
    roles: "employee",
    department: "",
    coordinate: "",
    action: "read",
  });
  const [answer, setAnswer] = useState<{
    allowed: boolean;
    rule: string;
    byDefault: boolean;
    relatedOnly: string[];
  } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const field = (name: keyof typeof form) => ({
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setAnswer(null);
    try {
      const data = await adminGraphql<{ explainPolicy: NonNullable<typeof answer> }>(POLICY_ADMIN, EXPLAIN, {
        ...form,
        department: form.department || null,
        roles: form.roles
          .split(",")
          .map((r) => r.trim())
          .filter(Boolean),
      });
      setAnswer(data.explainPolicy);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="explain-title" className="card stack">
      <h2 id="explain-title">{t("explainTitle")}</h2>
      <p className="muted">{t("explainIntro")}</p>
      <form className="rule-form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>{t("person")}</span>
          <input required {...field("subject")} />
        </label>
        <label className="field">
          <span>{t("roles")}</span>
          <input {...field("roles")} />
        </label>
        <label className="field">
          <span>{t("department")}</span>
          <input {...field("department")} />
        </label>
        <label className="field">
          <span>{t("coordinate")}</span>
          <input required {...field("coordinate")} />
        </label>
        <label className="field">
          <span>{t("action")}</span>
          <select {...field("action")}>
            {ACTIONS.filter((a) => a !== "*").map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <button type="submit">{t("explain")}</button>
      </form>
      <div aria-live="polite" id="explanation">
        {error && <p className="alert">{error}</p>}
        {answer && (
          <>
            <p className={answer.allowed ? "ok" : "alert"}>
              {t(answer.allowed ? "allowedBy" : "deniedBy", { rule: answer.rule })}{" "}
              {answer.byDefault ? t("byDefault") : ""}
            </p>
            {answer.relatedOnly.length > 0 && (
              <p>{t("relatedGrant", { rules: answer.relatedOnly.join("; ") })}</p>
            )}
          </>
        )}
      </div>
    </section>
  );
}

function Versions(props: {
  versions: Version[];
  current: number;
  names: Record<string, string>;
  onRolledBack: (message: string) => void;
}) {
  const { t, i18n } = useAdminText();
  const [error, setError] = useState<string | null>(null);
  const rollback = async (version: number) => {
    setError(null);
    try {
      const data = await adminGraphql<{
        rollbackPolicy: { status: string; version: { version: number } | null; request: { id: string } | null };
      }>(
        POLICY_ADMIN,
        `mutation ConsoleRollback($version: Int!, $expectedVersion: Int) {
          rollbackPolicy(version: $version, expectedVersion: $expectedVersion) { ${OUTCOME} } }`,
        { version, expectedVersion: props.current },
      );
      const result = data.rollbackPolicy;
      props.onRolledBack(
        result.status === "PENDING"
          ? t("pending", { id: result.request?.id ?? "" })
          : t("rolledBack", { version: result.version?.version ?? "" }),
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="versions-title" className="card stack">
      <h2 id="versions-title">{t("versionsTitle")}</h2>
      {error && (
        <p role="alert" className="alert">
          {error}
        </p>
      )}
      <div className="scroll">
        <table id="versions">
          <thead>
            <tr>
              <th scope="col">{t("colVersion")}</th>
              <th scope="col">{t("colAuthor")}</th>
              <th scope="col">{t("colWhen")}</th>
              <th scope="col">{t("colAction")}</th>
              <th scope="col">{t("colComment")}</th>
              <th scope="col">{t("colRules")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("colActions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.versions.map((v) => (
              <tr key={v.version} data-version={v.version}>
                <th scope="row">
                  {v.version} {v.version === props.current && <span className="badge">{t("current")}</span>}
                </th>
                <td>{who(v.author, props.names)}</td>
                <td>{i18n.dateTime(v.createdAt)}</td>
                <td>{v.action}</td>
                <td>{v.comment}</td>
                <td className="num">{v.ruleCount}</td>
                <td>
                  {v.version !== props.current && (
                    <button type="button" onClick={() => void rollback(v.version)}>
                      {t("rollback", { version: v.version })}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
