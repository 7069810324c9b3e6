// The words of the Explorer's plan panel, in English and Simplified Chinese; kept beside the
// page so that the shared catalogue (i18n.ts) stays small. The language is the console's.
import { pageText } from "../i18n";

const en = {
  planTitle: "Query plan",
  planIntro: "How the gateway would run the operation in the editor: the subgraphs it calls and its estimated cost. Planning calls no subgraph.",
  planWaiting: "Write or run an operation to see its plan.",
  planLoading: "Planning…",
  planNotAllowed: "Your role may not see query plans. The policy grants them to developers (Gateway.queryPlan: integrators, security administrators); the operation still runs.",
  planSignedOut: "Your session has ended: sign in again to see plans.",
  planFailed: "No plan: {message}",
  planCode: "Code {code}",
  planSubgraphs: "Subgraphs called",
  planNoSubgraph: "none (answered by the gateway)",
  planCost: "Estimated cost",
  planCostValue: "{cost} (maximum {max}; a list without a size counts {size} items)",
  planCostNoMax: "{cost} (no maximum; a list without a size counts {size} items)",
  planProblems: "Cost notes",
  planDenied: "Fields the policy keeps from you (not fetched)",
  planWithheld: "{count} fetch(es) shown without their operation: they name parts of the schema you cannot see.",
  planText: "Plan",
  planTextLabel: "Query plan of the current operation",
};

export type ExplorerKey = keyof typeof en;

const zh: Record<ExplorerKey, string> = {
  planTitle: "查询计划",
  planIntro: "网关将如何执行编辑器中的操作：调用哪些子图，以及预估成本。生成计划不会调用任何子图。",
  planWaiting: "编写或运行一个操作即可查看其计划。",
  planLoading: "正在生成计划…",
  planNotAllowed: "您的角色无权查看查询计划。策略只将其授予开发人员（Gateway.queryPlan：集成方、安全管理员）；操作本身仍可运行。",
  planSignedOut: "您的会话已结束：请重新登录以查看计划。",
  planFailed: "无法生成计划：{message}",
  planCode: "代码 {code}",
  planSubgraphs: "调用的子图",
  planNoSubgraph: "无（由网关直接应答）",
  planCost: "预估成本",
  planCostValue: "{cost}（上限 {max}；未标注大小的列表按 {size} 项计）",
  planCostNoMax: "{cost}（无上限；未标注大小的列表按 {size} 项计）",
  planProblems: "成本说明",
  planDenied: "策略对您隐藏的字段（不会获取）",
  planWithheld: "{count} 个获取步骤未显示其操作：其中涉及您无权查看的接口部分。",
  planText: "计划",
  planTextLabel: "当前操作的查询计划",
};

/** ``t`` for the Explorer's plan panel, in the console's language. */
export const useExplorerText = pageText(en, zh);
