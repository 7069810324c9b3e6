// Deciding a request: its details, the budget position (ERP) and the history (OA) in view,
// approve or reject with a comment.
import { useEffect, useState, type FormEvent } from "react";
import { graphql } from "../api";
import { Failure, Loading, StatusBadge, TableHead } from "../components";
import { useI18n, type Translator } from "../i18n";
import { onLinkClick } from "../router";
import { useQuery } from "../useQuery";

type Money = { amount: string; currency: string };
interface Detail {
  id: string;
  title: string;
  kind: string;
  status: string;
  description: string | null;
  submittedAt: string;
  canDecide: boolean;
  amount: Money | null;
  applicant: { name: string; department: { name: string } };
  items: { sku: string; description: string | null; quantity: number; unitPrice: Money; amount: Money }[];
  steps: {
    number: number;
    name: string;
    status: string;
    decision: string | null;
    comment: string | null;
    decidedAt: string | null;
    role: string | null;
    approver: { name: string } | null;
  }[];
  budgetPosition: {
    period: string;
    budgetSet: boolean;
    budget: Money;
    committed: Money;
    spent: Money;
    available: Money;
    requested: Money;
    availableAfter: Money | null;
    exceeded: boolean | null;
    booked: boolean;
  } | null;
  history: { action: string; step: number | null; comment: string | null; at: string; actor: { name: string } | null }[];
}

/** A request's budget position as {@link BUDGET_POSITION} asks it. */
export type BudgetPosition = Detail["budgetPosition"];

const M = "{ amount currency }";
/** The fields of a BudgetPosition that {@link Budget} shows (Home's request form asks them too). */
export const BUDGET_POSITION = `{
  period budgetSet budget ${M} committed ${M} spent ${M} available ${M} requested ${M}
  availableAfter ${M} exceeded booked
}`;
const DETAIL = `query ConsoleApproval($id: ID!) {
  approvalRequest(id: $id) {
    id title kind status description submittedAt canDecide amount ${M}
    applicant { name department { name } }
    items { sku description quantity unitPrice ${M} amount ${M} }
    steps { number name status decision comment decidedAt role approver { name } }
    budgetPosition ${BUDGET_POSITION}
    history { action step comment at actor { name } }
  }
}`;
const APPROVE = `mutation ConsoleApprove($id: ID!, $comment: String) {
  approve(id: $id, comment: $comment) { id status }
}`;
const REJECT = `mutation ConsoleReject($id: ID!, $comment: String!) {
  reject(id: $id, comment: $comment) { id status }
}`;

export function Approval({ id }: { id: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const detail = useQuery<{ approvalRequest: Detail | null }>(DETAIL, { id });
  const request = detail.data?.approvalRequest ?? null;
  useEffect(() => {
    document.title = `${request?.title ?? t("approvalTitle")} · ${t("appName")}`;
  }, [request?.title, t]);

  return (
    <>
      <p>
        <a href="/" onClick={onLinkClick}>
          ← {t("backHome")}
        </a>
      </p>
      {detail.failure && <Failure message={detail.failure} retry={detail.reload} />}
      {detail.loading && <Loading />}
      {request && (
        <>
          <h1>
            {request.title} <StatusBadge status={request.status} />
          </h1>
          <div className="grid">
            <section aria-labelledby="details-title" className="card">
              <h2 id="details-title">{t("details")}</h2>
              <dl className="facts">
                <dt>{t("kind")}</dt>
                <dd>{request.kind}</dd>
                <dt>{t("applicant")}</dt>
                <dd>{request.applicant.name}</dd>
                <dt>{t("department")}</dt>
                <dd>{request.applicant.department.name}</dd>
                <dt>{t("amount")}</dt>
                <dd>{i18n.money(request.amount)}</dd>
                <dt>{t("submitted")}</dt>
                <dd>{i18n.dateTime(request.submittedAt)}</dd>
              </dl>
              {request.description && <p>{request.description}</p>}
              {request.items.length > 0 && <Items request={request} i18n={i18n} />}
            </section>
            <Budget request={request} i18n={i18n} />
            <Decide request={request} done={detail.reload} />
            <Steps request={request} i18n={i18n} />
            <History request={request} i18n={i18n} />
          </div>
        </>
      )}
    </>
  );
}

function Items({ request, i18n }: { request: Detail; i18n: Translator }) {
  const { t } = i18n;
  return (
    <div className="scroll">
      <table>
        <caption>{t("items")}</caption>
        <TableHead columns={[t("colSku"), t("colQuantity"), t("colUnitPrice"), t("colAmount")]} />
        <tbody>
          {request.items.map((item, index) => (
            <tr key={index}>
              <th scope="row">{item.description ? `${item.sku} ${item.description}` : item.sku}</th>
              <td className="num">{i18n.number(item.quantity)}</td>
              <td className="num">{i18n.money(item.unitPrice)}</td>
              <td className="num">{i18n.money(item.amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Where a request stands against its department's budget (the approver's and the applicant's). */
export function Budget({
  request,
  i18n,
}: {
  request: { budgetPosition: BudgetPosition };
  i18n: Translator;
}) {
  const { t } = i18n;
  const b = request.budgetPosition;
  return (
    <section aria-labelledby="budget-title" className="card" id="budget">
      <h2 id="budget-title">{t("budgetTitle")}</h2>
      {!b ? (
        <p>{t("budgetNone")}</p>
      ) : (
        <>
          {!b.budgetSet && <p>{t("budgetNotSet", { period: b.period })}</p>}
          <dl className="facts">
            <dt>{t("budgetPeriod")}</dt>
            <dd>{b.period}</dd>
            <dt>{t("budgetAmount")}</dt>
            <dd className="num">{i18n.money(b.budget)}</dd>
            <dt>{t("budgetCommitted")}</dt>
            <dd className="num">{i18n.money(b.committed)}</dd>
            <dt>{t("budgetSpent")}</dt>
            <dd className="num">{i18n.money(b.spent)}</dd>
            <dt>{t("budgetAvailable")}</dt>
            <dd className="num">{i18n.money(b.available)}</dd>
            <dt>{t("budgetRequested")}</dt>
            <dd className="num">{i18n.money(b.requested)}</dd>
            <dt>{t("budgetAfter")}</dt>
            <dd className="num">{i18n.money(b.availableAfter)}</dd>
          </dl>
          {b.exceeded != null && (
            <p className={b.exceeded ? "alert" : "ok"}>
              {b.exceeded ? t("budgetExceeded") : t("budgetWithin")}
            </p>
          )}
        </>
      )}
    </section>
  );
}

function Decide({ request, done }: { request: Detail; done: () => void }) {
  const { t, code } = useI18n();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function decide(approve: boolean) {
    setProblem(null);
    if (!approve && !comment.trim()) {
      setProblem(t("rejectNeedsComment"));
      return;
    }
    setBusy(true);
    try {
      const variables = { id: request.id, comment: comment.trim() || null };
      const result = await graphql<Record<string, { status: string }>>(approve ? APPROVE : REJECT, variables);
      if (result.errors?.length) {
        setProblem(result.errors.map((e) => e.message).join("; "));
      } else {
        const status = Object.values(result.data ?? {})[0]?.status ?? "";
        setOutcome(t("decided", { status: code("status_", status) }));
        done();
      }
    } catch (error) {
      setProblem(String((error as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="decide-title" className="card">
      <h2 id="decide-title">{t("decideTitle")}</h2>
      {outcome && (
        <p role="status" className="ok">
          {outcome}
        </p>
      )}
      {problem && (
        <p role="alert" className="alert">
          {problem}
        </p>
      )}
      {request.canDecide ? (
        <form
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            void decide(true);
          }}
        >
          <label htmlFor="decision-comment">{t("comment")}</label>
          <textarea
            id="decision-comment"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            rows={3}
          />
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              {t("approve")}
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => void decide(false)}
            >
              {t("reject")}
            </button>
          </div>
        </form>
      ) : (
        !outcome && <p>{t("cannotDecide")}</p>
      )}
    </section>
  );
}

function Steps({ request, i18n }: { request: Detail; i18n: Translator }) {
  const { t } = i18n;
  return (
    <section aria-labelledby="steps-title" className="card">
      <h2 id="steps-title">{t("stepsTitle")}</h2>
      <ol className="steps">
        {request.steps.map((s) => (
          <li key={s.number}>
            <strong>{s.name}</strong> — {s.approver?.name ?? s.role ?? ""}{" "}
            <span className="muted">
              {s.decision ? i18n.code("action_", s.decision) : i18n.code("status_", s.status)}
              {s.decidedAt ? ` · ${i18n.dateTime(s.decidedAt)}` : ""}
            </span>
            {s.comment && <q>{s.comment}</q>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function History({ request, i18n }: { request: Detail; i18n: Translator }) {
  const { t } = i18n;
  return (
    <section aria-labelledby="history-title" className="card" id="history">
      <h2 id="history-title">{t("historyTitle")}</h2>
      {request.history.length === 0 ? (
        <p>{t("historyEmpty")}</p>
      ) : (
        <ol className="history">
          {request.history.map((h, index) => (
            <li key={index}>
              <time dateTime={h.at}>{i18n.dateTime(h.at)}</time>{" "}
              <strong>{i18n.code("action_", h.action)}</strong> {h.actor?.name ?? ""}
              {h.comment && <q>{h.comment}</q>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
