// Languages of the console: Simplified Chinese and English, chosen from the browser and
// switchable (kept in localStorage); money, dates and numbers formatted by Intl for the locale.
import { createContext, useContext, useMemo } from "react";

export type Locale = "en" | "zh-CN";
export const LOCALES: readonly Locale[] = ["en", "zh-CN"];
const STORAGE_KEY = "tandem.locale";

const en = {
  appName: "Tandem",
  skipToContent: "Skip to content",
  navMain: "Main",
  navHome: "Home",
  navExplorer: "Explorer",
  language: "Language",
  signOut: "Sign out",
  signedInAs: "Signed in as {name}",
  loading: "Loading…",
  retry: "Try again",
  errorLoading: "Could not load: {message}",
  signInTitle: "Sign in to Tandem",
  signInIntro:
    "One place for your work in the office system and the resource planning system: approvals, requests and messages.",
  signInButton: "Sign in with your company account",
  homeTitle: "Home",
  welcome: "Welcome, {name}",
  myPay: "My monthly salary:",
  inboxTitle: "Waiting for my decision",
  inboxEmpty: "Nothing is waiting for your decision.",
  inboxRefreshed: "Updated {time}",
  myRequestsTitle: "My requests",
  myRequestsEmpty: "You have no requests.",
  messagesTitle: "My messages",
  messagesEmpty: "No messages.",
  unread: "unread",
  systemSender: "Tandem",
  colTitle: "Request",
  colApplicant: "Applicant",
  colAmount: "Amount",
  colSubmitted: "Submitted",
  colStatus: "Status",
  colWaitsFor: "Waiting for",
  colSubject: "Subject",
  colFrom: "From",
  colSent: "Sent",
  waitsAnyone: "{step} (any {role})",
  waitsPerson: "{step}: {name}",
  notWaiting: "—",
  status_PENDING: "Pending",
  status_APPROVED: "Approved",
  status_REJECTED: "Rejected",
  status_WITHDRAWN: "Withdrawn",
  status_FAILED: "Failed",
  status_WAITING: "Waiting",
  status_SKIPPED: "Skipped",
  status_CANCELLED: "Cancelled",
  approvalTitle: "Request",
  backHome: "Back to Home",
  details: "Details",
  kind: "Kind",
  applicant: "Applicant",
  department: "Department",
  amount: "Amount",
  submitted: "Submitted",
  items: "Items",
  colSku: "Item",
  colQuantity: "Quantity",
  colUnitPrice: "Unit price",
  budgetTitle: "Budget position",
  budgetNone: "No budget applies to this request.",
  budgetNotSet: "No budget is set for {period}.",
  budgetPeriod: "Month",
  budgetAmount: "Budget",
  budgetCommitted: "Committed",
  budgetSpent: "Spent",
  budgetAvailable: "Available",
  budgetRequested: "This request",
  budgetAfter: "Available after approval",
  budgetExceeded: "Approving this request exceeds the budget.",
  budgetWithin: "Within budget.",
  stepsTitle: "Steps",
  historyTitle: "History",
  historyEmpty: "No history yet.",
  decideTitle: "Your decision",
  comment: "Comment (required to reject)",
  approve: "Approve",
  reject: "Reject",
  decided: "Your decision was recorded: {status}.",
  cannotDecide: "This request is not waiting for your decision.",
  rejectNeedsComment: "Write a comment to reject.",
  action_SUBMITTED: "Submitted",
  action_APPROVED: "Approved",
  action_REJECTED: "Rejected",
  action_WITHDRAWN: "Withdrawn",
  action_TRANSFERRED: "Transferred",
  action_FAILED: "Failed",
  explorerTitle: "Explorer",
  explorerIntro:
    "Run GraphQL operations as yourself: the schema shown is the one the gateway lets you see.",
  notFound: "There is no such page.",
  editorOperation: "GraphQL operation",
  editorVariables: "Variables (JSON)",
  editorResult: "Result",
} as const;

type Messages = Record<keyof typeof en, string>;

const zh: Messages = {
  appName: "Tandem",
  skipToContent: "跳到正文",
  navMain: "主导航",
  navHome: "首页",
  navExplorer: "接口浏览器",
  language: "语言",
  signOut: "退出登录",
  signedInAs: "当前用户：{name}",
  loading: "加载中…",
  retry: "重试",
  errorLoading: "加载失败：{message}",
  signInTitle: "登录 Tandem",
  signInIntro: "在一个地方处理办公系统和资源计划系统中的工作：审批、申请和消息。",
  signInButton: "使用公司账号登录",
  homeTitle: "首页",
  welcome: "欢迎，{name}",
  myPay: "我的月薪：",
  inboxTitle: "待我审批",
  inboxEmpty: "没有待您审批的申请。",
  inboxRefreshed: "更新于 {time}",
  myRequestsTitle: "我的申请",
  myRequestsEmpty: "您还没有申请。",
  messagesTitle: "我的消息",
  messagesEmpty: "没有消息。",
  unread: "未读",
  systemSender: "Tandem",
  colTitle: "申请",
  colApplicant: "申请人",
  colAmount: "金额",
  colSubmitted: "提交时间",
  colStatus: "状态",
  colWaitsFor: "等待",
  colSubject: "主题",
  colFrom: "发件人",
  colSent: "发送时间",
  waitsAnyone: "{step}（任一{role}）",
  waitsPerson: "{step}：{name}",
  notWaiting: "—",
  status_PENDING: "审批中",
  status_APPROVED: "已批准",
  status_REJECTED: "已驳回",
  status_WITHDRAWN: "已撤回",
  status_FAILED: "执行失败",
  status_WAITING: "等待中",
  status_SKIPPED: "已跳过",
  status_CANCELLED: "已取消",
  approvalTitle: "申请",
  backHome: "返回首页",
  details: "详情",
  kind: "类型",
  applicant: "申请人",
  department: "部门",
  amount: "金额",
  submitted: "提交时间",
  items: "明细",
  colSku: "物料",
  colQuantity: "数量",
  colUnitPrice: "单价",
  budgetTitle: "预算情况",
  budgetNone: "此申请不涉及预算。",
  budgetNotSet: "{period} 未设置预算。",
  budgetPeriod: "月份",
  budgetAmount: "预算",
  budgetCommitted: "已承诺",
  budgetSpent: "已支出",
  budgetAvailable: "可用",
  budgetRequested: "本申请",
  budgetAfter: "批准后可用",
  budgetExceeded: "批准此申请将超出预算。",
  budgetWithin: "在预算范围内。",
  stepsTitle: "审批步骤",
  historyTitle: "历史记录",
  historyEmpty: "暂无记录。",
  decideTitle: "您的决定",
  comment: "意见（驳回时必填）",
  approve: "批准",
  reject: "驳回",
  decided: "已记录您的决定：{status}。",
  cannotDecide: "此申请当前不等待您的审批。",
  rejectNeedsComment: "驳回前请填写意见。",
  action_SUBMITTED: "提交",
  action_APPROVED: "批准",
  action_REJECTED: "驳回",
  action_WITHDRAWN: "撤回",
  action_TRANSFERRED: "转交",
  action_FAILED: "失败",
  explorerTitle: "接口浏览器",
  explorerIntro: "以您本人的身份运行 GraphQL 操作：显示的是网关允许您看到的接口。",
  notFound: "页面不存在。",
  editorOperation: "GraphQL 操作",
  editorVariables: "变量（JSON）",
  editorResult: "结果",
};

const CATALOGUES: Record<Locale, Messages> = { en, "zh-CN": zh };
export type MessageKey = keyof typeof en;

/** The locale saved by the switcher, else the browser's first supported language. */
export function initialLocale(): Locale {
  const saved = safeStorage()?.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "zh-CN") return saved;
  for (const language of navigator.languages ?? [navigator.language]) {
    if (language.toLowerCase().startsWith("zh")) return "zh-CN";
    if (language.toLowerCase().startsWith("en")) return "en";
  }
  return "en";
}

export function saveLocale(locale: Locale): void {
  safeStorage()?.setItem(STORAGE_KEY, locale);
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the choice lasts for this page only
  }
}

export interface Translator {
  locale: Locale;
  t(key: MessageKey, values?: Record<string, string>): string;
  /** Try a dynamic key (a status or action code); the code itself when unknown. */
  code(prefix: "status_" | "action_", code: string): string;
  money(value: { amount: string; currency: string } | null | undefined): string;
  dateTime(iso: string | null | undefined): string;
  number(value: number): string;
}

export function translator(locale: Locale): Translator {
  const messages = CATALOGUES[locale];
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const numbers = new Intl.NumberFormat(locale);
  const currencies = new Map<string, Intl.NumberFormat>();
  return {
    locale,
    t(key, values) {
      return interpolate(messages[key], values);
    },
    code(prefix, code) {
      const key = `${prefix}${code}`;
      return key in messages ? messages[key as MessageKey] : code;
    },
    money(value) {
      if (!value) return "—";
      let format = currencies.get(value.currency);
      if (!format) {
        format = new Intl.NumberFormat(locale, { style: "currency", currency: value.currency });
        currencies.set(value.currency, format);
      }
      // Decimal strings, never floats in the API; Intl formats a numeric string exactly.
      return format.format(value.amount as unknown as number);
    },
    dateTime(iso) {
      return iso ? dates.format(new Date(iso)) : "—";
    },
    number(value) {
      return numbers.format(value);
    },
  };
}

export const I18n = createContext<Translator>(translator("en"));
export const useI18n = (): Translator => useContext(I18n);

/** Fill each `{name}` of a message with its value. */
export function interpolate(text: string, values?: Record<string, string | number>): string {
  for (const [name, value] of Object.entries(values ?? {})) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

/** A page's words, in the console's language. */
export interface PageText<K extends string> {
  t(key: K, values?: Record<string, string | number>): string;
  /** A status code in words: the page's `status_<CODE>` (the code itself when unknown). */
  status(code: string): string;
  /** The shared catalogue and the locale's formats (money, dates, numbers). */
  i18n: Translator;
}

/**
 * The hook of a page's own words (kept beside the page, so that this catalogue stays small):
 * the Chinese catalogue must name every key of the English one. The answer stays the same
 * object until the language changes, so effects that depend on it run once per language.
 */
export function pageText<K extends string>(
  en: Record<K, string>,
  zh: Record<NoInfer<K>, string>,
): () => PageText<K> {
  return function usePageText(): PageText<K> {
    const i18n = useI18n();
    return useMemo(() => {
      const messages: Record<K, string> = i18n.locale === "zh-CN" ? zh : en;
      return {
        t: (key, values) => interpolate(messages[key], values),
        status: (code) => {
          const key = `status_${code}`;
          return key in messages ? messages[key as K] : code;
        },
        i18n,
      };
    }, [i18n]);
  };
}
