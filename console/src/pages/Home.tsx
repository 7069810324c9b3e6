// Home: my approvals inbox (polled), my requests and where each one waits, my messages, a
// new purchase or expense request, my meetings with room booking, my documents.
import { useEffect } from "react";
import type { Me } from "../api";
import { Failure, Loading, StatusBadge } from "../components";
import { useI18n, type Translator } from "../i18n";
import { onLinkClick } from "../router";
import { useQuery } from "../useQuery";
import { Documents } from "./Documents";
import { Meetings } from "./Meetings";
import { RequestForm } from "./RequestForm";
import "./home.css";

export const INBOX_POLL_SECONDS = 10;

type Money = { amount: string; currency: string };
interface Step {
  name: string;
  role: string | null;
  approver: { name: string } | null;
}
interface Request {
  id: string;
  title: string;
  kind: string;
  status: string;
  submittedAt: string;
  amount: Money | null;
  applicant?: { name: string };
  currentStep: Step | null;
}
interface HomeData {
  me: { name: string; salary: Money | null } | null;
  approvalInbox: { edges: { node: Request }[] } | null;
  myApprovalRequests: { edges: { node: Request }[] } | null;
  messages: {
    edges: {
      node: {
        id: string;
        subject: string;
        sentAt: string;
        readAt: string | null;
        system: boolean;
        sender: { name: string } | null;
      };
    }[];
  } | null;
}

const STEP = "currentStep { name role approver { name } }";
const HOME = `query ConsoleHome {
  me { name salary { amount currency } }
  approvalInbox(first: 20) {
    edges { node { id title kind status submittedAt amount { amount currency } applicant { name } ${STEP} } }
  }
  myApprovalRequests(first: 20) {
    edges { node { id title kind status submittedAt amount { amount currency } ${STEP} } }
  }
  messages(first: 10) {
    edges { node { id subject sentAt readAt system sender { name } } }
  }
}`;

export function Home({ me }: { me: Me }) {
  const i18n = useI18n();
  const { t } = i18n;
  const home = useQuery<HomeData>(HOME, {}, INBOX_POLL_SECONDS);
  useEffect(() => {
    document.title = `${t("homeTitle")} · ${t("appName")}`;
  }, [t]);

  return (
    <>
      <h1>{t("welcome", { name: home.data?.me?.name ?? me.name })}</h1>
      {home.failure && <Failure message={home.failure} retry={home.reload} />}
      {home.data?.me?.salary && (
        <p className="pay">
          {t("myPay")} <strong data-testid="my-salary">{i18n.money(home.data.me.salary)}</strong>
        </p>
      )}
      <div className="grid">
        <section aria-labelledby="inbox-title" className="card">
          <h2 id="inbox-title">{t("inboxTitle")}</h2>
          {home.loading ? (
            <Loading />
          ) : (
            <RequestTable
              id="inbox"
              requests={home.data?.approvalInbox?.edges.map((e) => e.node) ?? []}
              empty={t("inboxEmpty")}
              withApplicant
            />
          )}
          {home.updatedAt && (
            <p className="muted">
              {t("inboxRefreshed", { time: home.updatedAt.toLocaleTimeString(i18n.locale) })}
            </p>
          )}
        </section>
        <section aria-labelledby="mine-title" className="card">
          <h2 id="mine-title">{t("myRequestsTitle")}</h2>
          {home.loading ? (
            <Loading />
          ) : (
            <RequestTable
              id="my-requests"
              requests={home.data?.myApprovalRequests?.edges.map((e) => e.node) ?? []}
              empty={t("myRequestsEmpty")}
            />
          )}
        </section>
        <section aria-labelledby="messages-title" className="card">
          <h2 id="messages-title">{t("messagesTitle")}</h2>
          {home.loading ? <Loading /> : <Messages data={home.data} i18n={i18n} />}
        </section>
        <Meetings />
        <Documents />
      </div>
      <RequestForm onSubmitted={home.reload} />
    </>
  );
}

function waitsFor(step: Step | null, i18n: Translator): string {
  if (!step) return i18n.t("notWaiting");
  if (step.approver) return i18n.t("waitsPerson", { step: step.name, name: step.approver.name });
  return i18n.t("waitsAnyone", { step: step.name, role: step.role ?? "" });
}

function RequestTable(props: {
  id: string;
  requests: Request[];
  empty: string;
  withApplicant?: boolean;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  if (props.requests.length === 0) return <p>{props.empty}</p>;
  return (
    <div className="scroll">
      <table id={props.id}>
        <thead>
          <tr>
            <th scope="col">{t("colTitle")}</th>
            {props.withApplicant && <th scope="col">{t("colApplicant")}</th>}
            <th scope="col">{t("colAmount")}</th>
            <th scope="col">{t("colSubmitted")}</th>
            <th scope="col">{t("colStatus")}</th>
            <th scope="col">{t("colWaitsFor")}</th>
          </tr>
        </thead>
        <tbody>
          {props.requests.map((r) => (
            <tr key={r.id} data-request-id={r.id}>
              <th scope="row">
                <a href={`/approvals/${encodeURIComponent(r.id)}`} onClick={onLinkClick}>
                  {r.title}
                </a>
              </th>
              {props.withApplicant && <td>{r.applicant?.name}</td>}
              <td className="num">{i18n.money(r.amount)}</td>
              <td>{i18n.dateTime(r.submittedAt)}</td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td>{r.status === "PENDING" ? waitsFor(r.currentStep, i18n) : t("notWaiting")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Messages({ data, i18n }: { data: HomeData | null; i18n: Translator }) {
  const messages = data?.messages?.edges.map((e) => e.node) ?? [];
  const { t } = i18n;
  if (messages.length === 0) return <p>{t("messagesEmpty")}</p>;
  return (
    <ul className="messages">
      {messages.map((m) => (
        <li key={m.id} className={m.readAt ? undefined : "unread"}>
          <span className="subject">
            {m.subject}
            {!m.readAt && <span className="badge">{t("unread")}</span>}
          </span>
          <span className="muted">
            {m.system ? t("systemSender") : (m.sender?.name ?? "—")} · {i18n.dateTime(m.sentAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}
