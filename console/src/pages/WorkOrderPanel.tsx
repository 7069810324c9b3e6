// One work order opened from the Production page: its progress, bill of materials (with what
// the chosen warehouse has), inspections, yield and cost; and the steps its status allows
// (WorkOrderSteps): release it from a warehouse (PLANNED), record output (RELEASED,
// IN_PROGRESS), record an inspection (once something is made).
import { useEffect, useRef, useState } from "react";
import { Failure, Loading, TableHead } from "../components";
import { useQuery } from "../useQuery";
import { percent, yieldOf, type WorkOrderRow } from "./productionFigures";
import { useProductionText } from "./productionText";
import { InspectStep, OutputStep, ReleaseStep } from "./WorkOrderSteps";

type Money = { amount: string; currency: string };
interface Detail {
  workOrder: {
    id: string;
    orderNo: string;
    status: string;
    quantity: number;
    completed: number;
    progress: number;
    releasedAt: string | null;
    completedAt: string | null;
    item: { sku: string; name: string; unit: string };
    warehouse: { id: string; name: string } | null;
    inspections: {
      id: string;
      inspected: number;
      defects: number;
      passed: boolean;
      notes: string | null;
      inspectedAt: string;
      inspector: { name?: string } | null;
    }[];
    cost: { materials: Money; labour: Money; total: Money; perUnit: Money } | null;
  } | null;
  billOfMaterials: {
    components: {
      quantity: number;
      item: {
        sku: string;
        name: string;
        stockLevels: { warehouse: { id: string }; available: number }[];
      };
    }[];
  } | null;
}

const MONEY = "{ amount currency }";
const DETAIL = `query ConsoleWorkOrder($id: ID!, $sku: ID!) {
  workOrder(id: $id) {
    id orderNo status quantity completed progress releasedAt completedAt
    item { sku name unit } warehouse { id name }
    inspections { id inspected defects passed notes inspectedAt
      inspector { ... on Employee { name } ... on SystemActor { name } } }
    cost { materials ${MONEY} labour ${MONEY} total ${MONEY} perUnit ${MONEY} }
  }
  billOfMaterials(sku: $sku) {
    components { quantity item { sku name stockLevels { warehouse { id } available } } }
  }
}`;

export function WorkOrderPanel(props: {
  order: WorkOrderRow;
  warehouses: { id: string; code: string; name: string }[];
  onChanged: () => void;
  onClose: () => void;
}) {
  const { t, status, i18n } = useProductionText();
  const detail = useQuery<Detail>(DETAIL, { id: props.order.id, sku: props.order.item.sku });
  const [warehouse, setWarehouse] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const order = detail.data?.workOrder;
  const bom = detail.data?.billOfMaterials;
  const shownWarehouse = order?.warehouse?.id ?? warehouse;
  const warehouseName = props.warehouses.find((w) => w.id === shownWarehouse)?.name ?? "";

  function changed() {
    detail.reload();
    props.onChanged();
  }

  return (
    <section aria-labelledby="work-order-title" className="card opened" id="work-order">
      <div className="heading-row">
        <h2 id="work-order-title" tabIndex={-1} ref={heading}>
          {t("orderTitle", { order: props.order.orderNo })}
        </h2>
        <button type="button" onClick={props.onClose}>
          {t("close")}
        </button>
      </div>
      {detail.failure && <Failure message={detail.failure} retry={detail.reload} />}
      {detail.loading || !order ? (
        <Loading />
      ) : (
        <>
          <dl className="facts">
            <dt>{t("item")}</dt>
            <dd>{order.item.sku} · {order.item.name}</dd>
            <dt>{t("colStatus")}</dt>
            <dd id="work-order-status">{status(order.status)}</dd>
            <dt>{t("progress")}</dt>
            <dd id="work-order-made">
              {t("made", { completed: order.completed, quantity: order.quantity,
                progress: order.progress })}
            </dd>
            <dt>{t("warehouse")}</dt>
            <dd>{order.warehouse?.name ?? t("noValue")}</dd>
            <dt>{t("released")}</dt>
            <dd>{i18n.dateTime(order.releasedAt)}</dd>
            <dt>{t("completed")}</dt>
            <dd>{i18n.dateTime(order.completedAt)}</dd>
            <dt>{t("colYield")}</dt>
            <dd id="work-order-yield">{percent(i18n.locale, yieldOf(order.inspections))}</dd>
          </dl>
          <div className="side-by-side">
            <div>
              <h3>{t("bomTitle")}</h3>
              {bom ? (
                <table id="work-order-bom">
                  <TableHead columns={[t("colComponent"), t("colPerUnit"), t("colNeeded"),
                    ...(shownWarehouse ? [t("colAvailable", { warehouse: warehouseName })] : [])]}
                  />
                  <tbody>
                    {bom.components.map((c) => (
                      <tr key={c.item.sku}>
                        <th scope="row">{c.item.sku} · {c.item.name}</th>
                        <td className="num">{i18n.number(c.quantity)}</td>
                        <td className="num">{i18n.number(c.quantity * order.quantity)}</td>
                        {shownWarehouse && (
                          <td className="num">
                            {i18n.number(availableIn(c.item.stockLevels, shownWarehouse))}
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p>{t("noBom")}</p>
              )}
            </div>
            <div>
              {order.status === "PLANNED" && bom && (
                <ReleaseStep id={order.id} warehouses={props.warehouses} warehouse={warehouse}
                  onWarehouse={setWarehouse} done={changed} />
              )}
              {(order.status === "RELEASED" || order.status === "IN_PROGRESS") && (
                <OutputStep id={order.id} remaining={order.quantity - order.completed}
                  done={changed} />
              )}
              {order.completed > 0 && (
                <InspectStep id={order.id} made={order.completed} done={changed} />
              )}
            </div>
          </div>
          <Inspections inspections={order.inspections} />
          {order.cost && (
            <>
              <h3>{t("costTitle")}</h3>
              <dl className="facts" id="work-order-cost">
                <dt>{t("materials")}</dt>
                <dd>{i18n.money(order.cost.materials)}</dd>
                <dt>{t("labour")}</dt>
                <dd>{i18n.money(order.cost.labour)}</dd>
                <dt>{t("total")}</dt>
                <dd>{i18n.money(order.cost.total)}</dd>
                <dt>{t("perUnit")}</dt>
                <dd>{i18n.money(order.cost.perUnit)}</dd>
              </dl>
            </>
          )}
        </>
      )}
    </section>
  );
}

/** Units of a component available in ``warehouse`` (none when it holds none). */
function availableIn(
  levels: { warehouse: { id: string }; available: number }[],
  warehouse: string,
): number {
  return levels.find((level) => level.warehouse.id === warehouse)?.available ?? 0;
}

type Inspection = NonNullable<Detail["workOrder"]>["inspections"][number];

function Inspections({ inspections }: { inspections: Inspection[] }) {
  const { t, i18n } = useProductionText();
  return (
    <>
      <h3>{t("inspectionsTitle")}</h3>
      {inspections.length === 0 ? (
        <p>{t("inspectionsEmpty")}</p>
      ) : (
        <table id="work-order-inspections">
          <TableHead columns={[t("colWhen"), t("colInspected"), t("colDefects"), t("colResult"),
            t("colInspector"), t("notes")]} />
          <tbody>
            {inspections.map((i) => (
              <tr key={i.id}>
                <th scope="row">{i18n.dateTime(i.inspectedAt)}</th>
                <td className="num">{i18n.number(i.inspected)}</td>
                <td className="num">{i18n.number(i.defects)}</td>
                <td>{i.passed ? t("passed") : t("failed")}</td>
                <td>{i.inspector?.name ?? t("noValue")}</td>
                <td>{i.notes ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
