// The Explorer's plan panel, beside GraphiQL: the plan and estimated cost of the operation in
// the editor, as POST /plan answers it for the signed-in person (the Explorer asks; the panel
// only shows). Outside GraphiQL's own panes, so it is always in view and in the page's order.
import { useExplorerText } from "./explorerText";
import type { PlanOutcome } from "./explorerPlan";

export type PlanState = { kind: "idle" } | { kind: "loading" } | PlanOutcome;

export function PlanPanel({ state }: { state: PlanState }) {
  const { t, i18n } = useExplorerText();
  return (
    <section className="plan-panel" aria-labelledby="plan-title">
      <h2 id="plan-title">{t("planTitle")}</h2>
      <p>{t("planIntro")}</p>
      <div role="status" aria-live="polite" className="plan-status">
        {state.kind === "idle" && <p>{t("planWaiting")}</p>}
        {state.kind === "loading" && <p>{t("planLoading")}</p>}
        {state.kind === "notAllowed" && <p className="plan-refused">{t("planNotAllowed")}</p>}
        {state.kind === "signedOut" && <p className="plan-refused">{t("planSignedOut")}</p>}
        {state.kind === "failed" && (
          <p className="plan-refused">
            {t("planFailed", { message: state.message })}{" "}
            <code>{t("planCode", { code: state.code })}</code>
          </p>
        )}
      </div>
      {state.kind === "plan" && (
        <>
          <dl className="plan-facts">
            <dt>{t("planSubgraphs")}</dt>
            <dd data-testid="plan-subgraphs">
              {state.answer.subgraphs.length ? state.answer.subgraphs.join(", ") : t("planNoSubgraph")}
            </dd>
            <dt>{t("planCost")}</dt>
            <dd data-testid="plan-cost">
              {state.answer.cost.max != null
                ? t("planCostValue", {
                    cost: i18n.number(state.answer.cost.estimated),
                    max: i18n.number(state.answer.cost.max),
                    size: i18n.number(state.answer.cost.defaultListSize),
                  })
                : t("planCostNoMax", {
                    cost: i18n.number(state.answer.cost.estimated),
                    size: i18n.number(state.answer.cost.defaultListSize),
                  })}
            </dd>
            {state.answer.cost.problems.length > 0 && (
              <>
                <dt>{t("planProblems")}</dt>
                {state.answer.cost.problems.map((problem) => (
                  <dd key={problem}>{problem}</dd>
                ))}
              </>
            )}
            {state.answer.denied.length > 0 && (
              <>
                <dt>{t("planDenied")}</dt>
                <dd>{state.answer.denied.join(", ")}</dd>
              </>
            )}
          </dl>
          {state.answer.withheld > 0 && <p>{t("planWithheld", { count: state.answer.withheld })}</p>}
          <h3 id="plan-text-title">{t("planText")}</h3>
          <pre className="plan-text" tabIndex={0} aria-label={t("planTextLabel")} data-testid="plan-text">
            {state.answer.plan.text}
          </pre>
        </>
      )}
    </section>
  );
}
