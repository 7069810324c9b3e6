// Home: my approvals inbox, my requests and where each one waits, my messages (all three kept
// current by subscriptions, or polled when those are unavailable), a new purchase or expense
// request, my meetings with room booking, my documents.
import { useEffect, useState } from "react";
import type { Me } from "../api";
import { Failure, Loading, StatusBadge } from "../components";
import { useI18n, type Translator } from "../i18n";
import { onLinkClick } from "../router";
import { useQuery, type QueryState } from "../useQuery";
import { useConnection, useSubscription } from "../useSubscription";
import { Documents } from "./Documents";
import { Meetings } from "./Meetings";
import {
  followed,
  HOME,
  INBOX_CHANGED,
  inboxChanged,
  MESSAGE_RECEIVED,
  messageReceived,
  REQUEST_UPDATED,
  requestUpdated,
  type HomeData,
  type InboxChanged,
  type MessageReceived,
  type Request,
  type RequestUpdated,
  type Step,
} from "./homeData";
import { useLiveText } from "./liveText";
import { RequestForm } from "./RequestForm";
import "./home.css";

export const INBOX_POLL_SECONDS = 10;

export function Home({ me }: { me: Me }) {
  const i18n = useI18n();
  const { t } = i18n;
  const liveText = useLiveText();
  // live until a subscription ends (refused, failed, never connected): polling from then on
  const [liveEnded, setLiveEnded] = useState(false);
  const connection = useConnection(!liveEnded);
  const live = !liveEnded && connection.state === "live";
  const home = useQuery<HomeData>(HOME, {}, live ? 0 : INBOX_POLL_SECONDS);
  const { reload } = home;
  useEffect(() => {
    if (connection.reconnections > 0) reload(); // catch up with what the break missed
  }, [connection.reconnections, reload]);
  useEffect(() => {
    document.title = `${t("homeTitle")} · ${t("appName")}`;
  }, [t]);

  return (
    <>
      <h1>{t("welcome", { name: home.data?.me?.name ?? me.name })}</h1>
      {home.failure && <Failure message={home.failure} retry={home.reload} />}
      {!liveEnded && <LiveUpdates home={home} onEnd={() => setLiveEnded(true)} />}
      <p role="status" id="live-status" className="muted" data-live={live ? "on" : "off"}>
        {liveEnded
          ? liveText("liveOff", { seconds: INBOX_POLL_SECONDS })
          : live
            ? liveText("liveOn")
            : ""}
      </p>
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

/** Home's subscriptions: my inbox, my messages, and each of my requests that can still
 * change; each event patches what is shown (no query). */
function LiveUpdates({ home, onEnd }: { home: QueryState<HomeData>; onEnd: () => void }) {
  const { patch } = home;
  const end = (why: string) => {
    console.info(`live updates ended (${why}): polling every ${INBOX_POLL_SECONDS} s`);
    onEnd();
  };
  useSubscription<InboxChanged>(INBOX_CHANGED, {}, {
    onData: (event) => patch(inboxChanged(event)),
    onEnd: end,
  });
  useSubscription<MessageReceived>(MESSAGE_RECEIVED, {}, {
    onData: (event) => patch(messageReceived(event)),
    onEnd: end,
  });
  return (
    <>
      {followed(home.data).map((id) => (
        <FollowRequest key={id} id={id} patch={patch} onEnd={end} />
      ))}
    </>
  );
}

function FollowRequest(props: {
  id: string;
  patch: QueryState<HomeData>["patch"];
  onEnd: (why: string) => void;
}) {
  useSubscription<RequestUpdated>(REQUEST_UPDATED, { id: props.id }, {
    onData: (event) => props.patch(requestUpdated(event)),
    onEnd: props.onEnd,
  });
  return null;
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
