// What Home reads (one query) and the events that keep it current (three subscriptions of
// OA's, through the gateway), with how each event changes the answer already shown: the
// subscriptions select the same fields as the query, so an event replaces a row whole.

export type Money = { amount: string; currency: string };
export interface Step {
  name: string;
  role: string | null;
  approver: { name: string } | null;
}
export interface Request {
  id: string;
  title: string;
  kind: string;
  status: string;
  submittedAt: string;
  amount: Money | null;
  applicant?: { name: string };
  currentStep: Step | null;
}
export interface Message {
  id: string;
  subject: string;
  sentAt: string;
  readAt: string | null;
  system: boolean;
  sender: { name: string } | null;
}
type Edges<T> = { edges: { node: T }[] } | null;
export interface HomeData {
  me: { name: string; salary: Money | null } | null;
  approvalInbox: Edges<Request>;
  myApprovalRequests: Edges<Request>;
  messages: Edges<Message>;
}

const REQUEST = `id title kind status submittedAt amount { amount currency }
  currentStep { name role approver { name } }`;
const MESSAGE = "id subject sentAt readAt system sender { name }";
export const SHOWN = { requests: 20, messages: 10 };

export const HOME = `query ConsoleHome {
  me { name salary { amount currency } }
  approvalInbox(first: ${SHOWN.requests}) { edges { node { ${REQUEST} applicant { name } } } }
  myApprovalRequests(first: ${SHOWN.requests}) { edges { node { ${REQUEST} } } }
  messages(first: ${SHOWN.messages}) { edges { node { ${MESSAGE} } } }
}`;

export const INBOX_CHANGED = `subscription ConsoleInboxChanged {
  approvalInboxChanged { change request { ${REQUEST} applicant { name } } }
}`;
export interface InboxChanged {
  approvalInboxChanged: { change: "ARRIVED" | "LEFT" | "STAYED"; request: Request };
}

export const REQUEST_UPDATED = `subscription ConsoleRequestUpdated($id: ID!) {
  approvalRequestUpdated(id: $id) { request { ${REQUEST} } }
}`;
export interface RequestUpdated {
  approvalRequestUpdated: { request: Request };
}

export const MESSAGE_RECEIVED = `subscription ConsoleMessageReceived {
  messageReceived { message { ${MESSAGE} } }
}`;
export interface MessageReceived {
  messageReceived: { message: Message };
}

/** My requests that can still change, whose updates Home follows: one waiting for a decision,
 * or approved but failed in the ERP (an administrator retries or cancels it). */
export const followed = (data: HomeData | null): string[] =>
  (data?.myApprovalRequests?.edges ?? [])
    .map((e) => e.node)
    .filter((r) => r.status === "PENDING" || r.status === "FAILED")
    .map((r) => r.id);

function without<T extends { id: string }>(list: Edges<T>, id: string): { node: T }[] {
  return (list?.edges ?? []).filter((e) => e.node.id !== id);
}

/** A request arriving in my inbox goes first, one leaving it goes, one staying is replaced. */
export const inboxChanged =
  ({ approvalInboxChanged: { change, request } }: InboxChanged) =>
  (data: HomeData): HomeData => {
    const rest = without(data.approvalInbox, request.id);
    const edges =
      change === "LEFT"
        ? rest
        : change === "STAYED" && rest.length < (data.approvalInbox?.edges.length ?? 0)
          ? (data.approvalInbox?.edges ?? []).map((e) => (e.node.id === request.id ? { node: request } : e))
          : [{ node: request }, ...rest].slice(0, SHOWN.requests);
    return { ...data, approvalInbox: { edges } };
  };

/** One of my requests as it is now, in its place. */
export const requestUpdated =
  ({ approvalRequestUpdated: { request } }: RequestUpdated) =>
  (data: HomeData): HomeData => ({
    ...data,
    myApprovalRequests: {
      edges: (data.myApprovalRequests?.edges ?? []).map((e) =>
        e.node.id === request.id ? { node: request } : e,
      ),
    },
  });

/** A new message goes first (once, however often it is told). */
export const messageReceived =
  ({ messageReceived: { message } }: MessageReceived) =>
  (data: HomeData): HomeData => ({
    ...data,
    messages: {
      edges: [{ node: message }, ...without(data.messages, message.id)].slice(0, SHOWN.messages),
    },
  });
