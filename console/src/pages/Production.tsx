// The production planner's page: the work orders of the newest plans with their status and
// yield, one opened to move it on (WorkOrderPanel), a new plan (PlanForm), and the month's
// output and yield (productionSummary). Everything through the public API, as the policy
// lets the signed-in person see it (the production role: plans, work orders, inspections).
import { useEffect, useState } from "react";
import { Failure, Loading, ScrollRegion, TableHead } from "../components";
import { useQuery } from "../useQuery";
import { backTo } from "./focus";
import { thisMonth } from "./homeApi";
import "./home.css";
import { PlanForm } from "./PlanForm";
import "./production.css";
import { percent, yieldOf, type WorkOrderRow } from "./productionFigures";
import { useProductionText } from "./productionText";
import { WorkOrderPanel } from "./WorkOrderPanel";

interface Plan {
  id: string;
  name: string;
  period: string;
  workOrders: WorkOrderRow[];
}
interface ProductionData {
  productionPlans: { edges: { node: Plan }[] } | null;
  warehouses: { edges: { node: { id: string; code: string; name: string } }[] } | null;
}
interface Output {
  item: { sku: string; name: string };
  workOrders: number;
  completed: number;
  inspected: number;
  defects: number;
  yieldRate: number | null;
}

export const PLANS_SHOWN = 20;
const PRODUCTION = `query ConsoleProduction($plans: Int!) {
  productionPlans(first: $plans) {
    edges { node { id name period workOrders {
      id orderNo item { sku name } quantity completed progress status warehouse { id name }
      inspections { inspected defects }
    } } }
  }
  warehouses(first: 50) { edges { node { id code name } } }
}`;
const SUMMARY = `query ConsoleProductionSummary($period: String!) {
  productionSummary(period: $period) {
    item { sku name } workOrders completed inspected defects yieldRate
  }
}`;

export default function Production() {
  const { t, status, i18n } = useProductionText();
  const production = useQuery<ProductionData>(PRODUCTION, { plans: PLANS_SHOWN });
  const [opened, setOpened] = useState<WorkOrderRow | null>(null);
  const [period, setPeriod] = useState(thisMonth);
  const summary = useQuery<{ productionSummary: Output[] | null }>(SUMMARY, { period });
  useEffect(() => {
    document.title = `${t("title")} · ${i18n.t("appName")}`;
  }, [t, i18n]);

  const plans = production.data?.productionPlans?.edges.map((e) => e.node) ?? [];
  const rows = plans.flatMap((plan) => plan.workOrders.map((order) => ({ plan, order })));
  const warehouses = production.data?.warehouses?.edges.map((e) => e.node) ?? [];
  function changed() {
    production.reload();
    summary.reload();
  }

  return (
    <>
      <h1>{t("title")}</h1>
      {production.failure && <Failure message={production.failure} retry={production.reload} />}
      <section aria-labelledby="orders-title" className="card">
        <h2 id="orders-title">{t("ordersTitle")}</h2>
        <p className="muted">{t("ordersHint")}</p>
        {production.loading ? (
          <Loading />
        ) : rows.length === 0 ? (
          <p>{t("ordersEmpty")}</p>
        ) : (
          <ScrollRegion labelledBy="orders-title">
            <table id="work-orders">
              <TableHead columns={[t("colOrder"), t("colPlan"), t("colItem"), t("colQuantity"),
                t("colMade"), t("colStatus"), t("colWarehouse"), t("colYield")]} />
              <tbody>
                {rows.map(({ plan, order }) => (
                  <tr key={order.id} data-work-order-id={order.id}
                    className={opened?.id === order.id ? "chosen" : undefined}>
                    <th scope="row">
                      <button type="button" className="link" aria-controls="work-order"
                        aria-label={t("open", { order: order.orderNo })}
                        aria-expanded={opened?.id === order.id}
                        onClick={() => setOpened(order)}>
                        {order.orderNo}
                      </button>
                    </th>
                    <td>{plan.name} ({plan.period})</td>
                    <td>{order.item.sku} · {order.item.name}</td>
                    <td className="num">{i18n.number(order.quantity)}</td>
                    <td className="num">
                      {t("made", { completed: order.completed, quantity: order.quantity,
                        progress: order.progress })}
                    </td>
                    <td>
                      <span className={`badge badge-${order.status.toLowerCase()}`}>
                        {status(order.status)}
                      </span>
                    </td>
                    <td>{order.warehouse?.name ?? t("noValue")}</td>
                    <td className="num">{percent(i18n.locale, yieldOf(order.inspections))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </section>
      {opened && (
        <WorkOrderPanel key={opened.id} order={opened} warehouses={warehouses}
          onChanged={changed} onClose={() => {
            setOpened(null);
            backTo(`#work-orders tr[data-work-order-id="${opened.id}"] button`);
          }} />
      )}
      <div className="grid work-grid">
        <PlanForm onCreated={changed} />
        <section aria-labelledby="summary-title" className="card">
          <h2 id="summary-title">{t("summaryTitle")}</h2>
          <div className="field period">
            <label htmlFor="summary-period">{t("summaryMonth")}</label>
            <input id="summary-period" type="month" value={period}
              onChange={(e) => e.target.value && setPeriod(e.target.value)} />
          </div>
          {summary.failure && <Failure message={summary.failure} retry={summary.reload} />}
          {summary.loading ? (
            <Loading />
          ) : (
            <Summary rows={summary.data?.productionSummary ?? []} period={period} />
          )}
        </section>
      </div>
    </>
  );
}

function Summary({ rows, period }: { rows: Output[]; period: string }) {
  const { t, i18n } = useProductionText();
  if (rows.length === 0) return <p id="production-summary">{t("summaryEmpty")}</p>;
  return (
    <ScrollRegion labelledBy="summary-caption">
      <table id="production-summary">
        <caption id="summary-caption">{t("summaryCaption", { period })}</caption>
        <TableHead columns={[t("colItem"), t("colOrders"), t("colCompleted"), t("colInspected"),
          t("colDefects"), t("colYield")]} />
        <tbody>
          {rows.map((row) => (
            <tr key={row.item.sku} data-sku={row.item.sku}>
              <th scope="row">{row.item.sku} · {row.item.name}</th>
              <td className="num">{i18n.number(row.workOrders)}</td>
              <td className="num">{i18n.number(row.completed)}</td>
              <td className="num">{i18n.number(row.inspected)}</td>
              <td className="num">{i18n.number(row.defects)}</td>
              <td className="num">{percent(i18n.locale, row.yieldRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
