// Dashboards: the management overview (sales against forecast, budget use, stock value,
// production yield; ERP) and process analytics (cycle times, bottleneck steps, backlog age;
// OA), each a chart with its figures as a table. One query per chart: the policy may refuse a
// person one of them (a finance officer sees no production yield), and the others still show.
import { useEffect, useMemo, useState } from "react";
import { Failure, Loading } from "../components";
import { useI18n, type Translator } from "../i18n";
import { useQuery, type QueryState } from "../useQuery";
import { BarChart, type ChartRow } from "./BarChart";
import { thisMonth } from "./homeApi";
import { useHomeText, type HomeKey } from "./homeText";
import "./home.css";

type Money = { amount: string; currency: string };
const M = "{ amount currency }";

const SALES = `query ConsoleSalesAgainstForecast($period: String!) {
  salesAgainstForecast(period: $period) { key label quantity amount ${M} forecastQuantity }
}`;
const BUDGET = `query ConsoleBudgetUse($period: String!) {
  budgetUse(period: $period) { department { id name } amount ${M} committed ${M} spent ${M} available ${M} exceeded }
}`;
const STOCK = `query ConsoleStockValue { stockValue { warehouseId warehouseName units value ${M} } }`;
const PRODUCTION = `query ConsoleProductionYield($period: String!) {
  productionSummary(period: $period) { item { sku name } completed inspected defects yieldRate }
}`;
const PROCESS = `query ConsoleProcessAnalytics {
  approvalAnalytics {
    asOf
    flows { kind name requests pending cycleTime { count median p90 } }
    slowestSteps(first: 5) { kind number name backlog waiting { median p90 } }
    steps { kind number name backlog backlogAge { median max } }
  }
}`;

interface Sales {
  salesAgainstForecast: { key: string; label: string; quantity: number; forecastQuantity: string | null }[];
}
interface BudgetUse {
  budgetUse: ({ department: { name: string }; amount: Money; committed: Money; spent: Money; available: Money } | null)[];
}
interface Stock {
  stockValue: { warehouseId: string; warehouseName: string; units: number; value: Money }[];
}
interface Production {
  productionSummary: { item: { sku: string; name: string }; yieldRate: number | null; inspected: number }[];
}
type Stats = { median: number | null; p90?: number | null; max?: number | null };
interface Process {
  approvalAnalytics: {
    asOf: string;
    flows: { kind: string; name: string | null; cycleTime: Stats & { count: number } }[];
    slowestSteps: { kind: string; number: number; name: string; waiting: Stats }[];
    steps: { kind: string; number: number; name: string; backlog: number; backlogAge: Stats }[];
  };
}

export default function Dashboards() {
  const { t } = useHomeText();
  const [period, setPeriod] = useState(thisMonth);
  useEffect(() => {
    document.title = `${t("dashboardsTitle")} · Tandem`;
  }, [t]);
  return (
    <>
      <h1>{t("dashboardsTitle")}</h1>
      <div className="field period">
        <label htmlFor="dashboard-period">{t("dashboardMonth")}</label>
        <input id="dashboard-period" type="month" value={period}
          onChange={(e) => e.target.value && setPeriod(e.target.value)} />
      </div>
      <h2 className="group">{t("overviewTitle")}</h2>
      <div className="grid">
        <SalesChart period={period} />
        <BudgetChart period={period} />
        <StockChart />
        <YieldChart period={period} />
      </div>
      <h2 className="group">{t("processTitle")}</h2>
      <ProcessCharts />
    </>
  );
}

/** A dashboard card: its heading, and the chart once its query answered, or why not (the
 * policy refused the figures: said so; anything else: the failure with its codes). */
function Card<T, V>(props: {
  id: string;
  title: HomeKey;
  query: QueryState<T>;
  pick: (data: T) => V | null | undefined;
  children: (value: V) => React.ReactNode;
}) {
  const { t } = useHomeText();
  const { data, errors, failure, loading, reload } = props.query;
  const value = data ? props.pick(data) : null;
  const codes = failure ?? errors.map((e) => e.extensions?.code ?? e.message).join(", ");
  return (
    <section aria-labelledby={`${props.id}-title`} className="card" data-chart={props.id}>
      <h3 id={`${props.id}-title`}>{t(props.title)}</h3>
      {loading ? (
        <Loading />
      ) : value != null ? (
        props.children(value)
      ) : codes.includes("FORBIDDEN") ? (
        <p className="muted">{t("notForYou")}</p>
      ) : (
        <Failure message={codes} retry={reload} />
      )}
    </section>
  );
}

const amount = (money: Money | null | undefined) => (money ? Number.parseFloat(money.amount) : null);

function SalesChart({ period }: { period: string }) {
  const { t } = useHomeText();
  const i18n = useI18n();
  const query = useQuery<Sales>(SALES, { period });
  return (
    <Card id="sales" title="salesTitle" query={query} pick={(d) => d.salesAgainstForecast}>
      {(sales) => (
        <BarChart id="sales-chart" caption={t("salesCaption", { period })}
          series={[t("sold"), t("forecast")]}
          rows={sales.map((row) => {
            const forecast = row.forecastQuantity == null ? null : Number.parseFloat(row.forecastQuantity);
            return {
              label: row.label,
              values: [row.quantity, forecast],
              texts: [i18n.number(row.quantity), forecast == null ? "—" : i18n.number(forecast)],
            };
          })} />
      )}
    </Card>
  );
}

function BudgetChart({ period }: { period: string }) {
  const { t } = useHomeText();
  const i18n = useI18n();
  const query = useQuery<BudgetUse>(BUDGET, { period });
  return (
    <Card id="budget-use" title="budgetUseTitle" query={query} pick={(d) => d.budgetUse}>
      {(use) => (
        <BarChart id="budget-chart" caption={t("budgetCaption", { period })}
          series={[t("budget"), t("committed"), t("spent"), t("available")]}
          rows={use.flatMap((row) =>
            row === null
              ? [] // another department's: the policy's null
              : [{
                  label: row.department.name,
                  values: [row.amount, row.committed, row.spent, row.available].map(amount),
                  texts: [row.amount, row.committed, row.spent, row.available].map((m) => i18n.money(m)),
                }],
          )} />
      )}
    </Card>
  );
}

function StockChart() {
  const { t } = useHomeText();
  const i18n = useI18n();
  const query = useQuery<Stock>(STOCK, {});
  return (
    <Card id="stock" title="stockTitle" query={query} pick={(d) => d.stockValue}>
      {(stock) => (
        <BarChart id="stock-chart" caption={t("stockCaption")} series={[t("stockValue"), t("units")]} drawn={1}
          rows={stock.map((row) => ({
            label: row.warehouseName,
            values: [amount(row.value), null],
            texts: [i18n.money(row.value), i18n.number(row.units)],
          }))} />
      )}
    </Card>
  );
}

function YieldChart({ period }: { period: string }) {
  const { t } = useHomeText();
  const i18n = useI18n();
  const percent = usePercent(i18n);
  const query = useQuery<Production>(PRODUCTION, { period });
  return (
    <Card id="yield" title="yieldTitle" query={query} pick={(d) => d.productionSummary}>
      {(output) => (
        <BarChart id="yield-chart" caption={t("yieldCaption", { period })}
          series={[t("yieldRate"), t("inspected")]} drawn={1}
          rows={output.map((row) => ({
            label: row.item.name,
            values: [row.yieldRate == null ? null : row.yieldRate * 100, null],
            texts: [row.yieldRate == null ? "—" : percent.format(row.yieldRate), i18n.number(row.inspected)],
          }))} />
      )}
    </Card>
  );
}

function usePercent(i18n: Translator) {
  return useMemo(
    () => new Intl.NumberFormat(i18n.locale, { style: "percent", maximumFractionDigits: 1 }),
    [i18n.locale],
  );
}

/** Seconds as hours for the locale, one decimal ("—" for none). */
function useHours() {
  const i18n = useI18n();
  const { t } = useHomeText();
  const format = useMemo(
    () => new Intl.NumberFormat(i18n.locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 }),
    [i18n.locale],
  );
  return (seconds: number | null | undefined) =>
    seconds == null ? "—" : t("hours", { hours: format.format(seconds / 3600) });
}

function ProcessCharts() {
  const { t } = useHomeText();
  const i18n = useI18n();
  const hours = useHours();
  const query = useQuery<Process>(PROCESS, {});
  const h = (seconds: number | null | undefined) => (seconds == null ? null : seconds / 3600);
  const step = (s: { kind: string; number: number; name: string }) => `${s.kind} ${s.number}. ${s.name}`;
  return (
    <div className="grid">
      <Card id="cycle" title="cycleTitle" query={query} pick={(d) => d.approvalAnalytics}>
        {(analytics) => (
          <BarChart id="cycle-chart" caption={t("cycleCaption")} series={[t("median"), t("p90")]}
            rows={analytics.flows.map((f): ChartRow => ({
              label: f.kind,
              values: [h(f.cycleTime.median), h(f.cycleTime.p90)],
              texts: [hours(f.cycleTime.median), hours(f.cycleTime.p90)],
            }))} />
        )}
      </Card>
      <Card id="bottlenecks" title="bottleneckTitle" query={query} pick={(d) => d.approvalAnalytics}>
        {(analytics) => (
          <BarChart id="bottleneck-chart" caption={t("bottleneckCaption")}
            series={[t("median"), t("p90")]}
            rows={analytics.slowestSteps.map((s) => ({
              label: step(s),
              values: [h(s.waiting.median), h(s.waiting.p90)],
              texts: [hours(s.waiting.median), hours(s.waiting.p90)],
            }))} />
        )}
      </Card>
      <Card id="backlog" title="backlogTitle" query={query} pick={(d) => d.approvalAnalytics}>
        {(analytics) => (
          <BarChart id="backlog-chart" caption={t("backlogCaption")}
            series={[t("oldest"), t("median"), t("waitingNow")]} drawn={2}
            rows={analytics.steps
              .filter((s) => s.backlog > 0)
              .map((s) => ({
                label: step(s),
                values: [h(s.backlogAge.max), h(s.backlogAge.median), null],
                texts: [hours(s.backlogAge.max), hours(s.backlogAge.median), i18n.number(s.backlog)],
              }))} />
        )}
      </Card>
    </div>
  );
}
