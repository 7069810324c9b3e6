// The sales page, for a sales rep: the customers with their credit, the sales orders with
// their status, a new order, a new customer. An order moves on as far as the rep may
// (CONFIRMED -> SHIPPED, or CANCELLED); closing a paid order is Finance's and is not offered.
// Everything goes through the public API, so the policy decides what shows (a customer's
// phone comes masked to a rep).
import { useEffect, useState } from "react";
import { Failure, Loading, ScrollRegion, TableHead } from "../components";
import { useQuery } from "../useQuery";
import { mutate, unsent, type FieldedError } from "./homeApi";
import { Errors, type Choice } from "./FormParts";
import { CustomerForm, OrderForm } from "./SalesForms";
import { useSalesText } from "./salesText";
import "./home.css";
import "./orders.css";

type Money = { amount: string; currency: string };
interface Customer {
  id: string;
  customerNo: string;
  name: string;
  phone: string | null;
  creditLimit: Money;
  openBalance: Money;
  availableCredit: Money;
}
interface Order {
  id: string;
  orderNo: string;
  status: string;
  total: Money;
  createdAt: string;
  shippedAt: string | null;
  customer: { id: string; name: string };
  lines: { item: { sku: string }; quantity: number; warehouse: { code: string } }[];
}
interface SalesData {
  customers: { edges: { node: Customer }[] } | null;
  salesOrders: { edges: { node: Order }[] } | null;
  warehouses: { edges: { node: { id: string; code: string; name: string } }[] } | null;
}

export const ORDERS_SHOWN = 20;
const MONEY = "{ amount currency }";
const SALES = `query ConsoleSales($orders: Int!) {
  customers(first: 100) {
    edges { node { id customerNo name phone creditLimit ${MONEY} openBalance ${MONEY}
      availableCredit ${MONEY} } }
  }
  salesOrders(first: $orders) {
    edges { node { id orderNo status total ${MONEY} createdAt shippedAt customer { id name }
      lines { item { sku } quantity warehouse { code } } } }
  }
  warehouses(first: 50) { edges { node { id code name } } }
}`;
const MOVE = {
  ship: `mutation ConsoleShipSalesOrder($id: ID!) { shipSalesOrder(id: $id) { id orderNo status } }`,
  cancel: `mutation ConsoleCancelSalesOrder($id: ID!) { cancelSalesOrder(id: $id) { id orderNo status } }`,
};

export default function Sales() {
  const { t, i18n } = useSalesText();
  const sales = useQuery<SalesData>(SALES, { orders: ORDERS_SHOWN });
  const title = `${t("salesTitle")} · ${i18n.t("appName")}`;
  useEffect(() => {
    document.title = title;
  }, [title]);
  const customers = sales.data?.customers?.edges.map((e) => e.node) ?? [];
  const warehouses = sales.data?.warehouses?.edges.map((e) => e.node) ?? [];
  const customerChoices: Choice[] = customers.map((c) => ({
    value: c.id,
    label: `${c.customerNo} · ${c.name}`,
  }));
  const warehouseChoices: Choice[] = warehouses.map((w) => ({
    value: w.id,
    label: `${w.code} · ${w.name}`,
  }));

  return (
    <>
      <h1>{t("salesTitle")}</h1>
      <p className="muted">{t("salesIntro")}</p>
      {sales.failure && <Failure message={sales.failure} retry={sales.reload} />}
      <section aria-labelledby="orders-title" className="card work">
        <h2 id="orders-title">{t("ordersTitle")}</h2>
        {sales.loading ? (
          <Loading />
        ) : (
          <Orders orders={sales.data?.salesOrders?.edges.map((e) => e.node) ?? []} moved={sales.reload} />
        )}
      </section>
      <div className="side-by-side work">
        <OrderForm customers={customerChoices} warehouses={warehouseChoices} placed={sales.reload} />
        <CustomerForm created={sales.reload} />
      </div>
      <section aria-labelledby="customers-title" className="card work">
        <h2 id="customers-title">{t("customersTitle")}</h2>
        {sales.loading ? <Loading /> : <Customers customers={customers} />}
      </section>
    </>
  );
}

function Customers({ customers }: { customers: Customer[] }) {
  const { t, i18n } = useSalesText();
  if (customers.length === 0) return <p>{t("customersEmpty")}</p>;
  return (
    <ScrollRegion labelledBy="customers-title">
      <table id="customers">
        <TableHead
          columns={[
            t("colCustomerNo"),
            t("colCustomer"),
            t("colPhone"),
            t("colCreditLimit"),
            t("colOpenBalance"),
            t("colAvailableCredit"),
          ]}
        />
        <tbody>
          {customers.map((c) => (
            <tr key={c.id} data-customer-id={c.id}>
              <td>{c.customerNo}</td>
              <th scope="row">{c.name}</th>
              <td>{c.phone ?? "—"}</td>
              <td className="num">{i18n.money(c.creditLimit)}</td>
              <td className="num">{i18n.money(c.openBalance)}</td>
              <td className="num">{i18n.money(c.availableCredit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function Orders({ orders, moved }: { orders: Order[]; moved: () => void }) {
  const { t, status, i18n } = useSalesText();
  const [errors, setErrors] = useState<FieldedError[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function move(order: Order, how: "ship" | "cancel") {
    setErrors([]);
    setDone(null);
    setBusy(order.id);
    try {
      type Moved = { orderNo: string; status: string } | null;
      const answer = await mutate<Record<string, Moved>>(MOVE[how], { id: order.id });
      setErrors(answer.errors);
      const after = answer.data?.[how === "ship" ? "shipSalesOrder" : "cancelSalesOrder"];
      if (after) {
        setDone(t("moved", { order: after.orderNo, status: status(after.status) }));
        moved();
      }
    } catch (error) {
      setErrors(unsent(error));
    } finally {
      setBusy(null);
    }
  }

  if (orders.length === 0) return <p>{t("ordersEmpty")}</p>;
  return (
    <>
      <Errors id="order-errors" errors={errors} />
      <p role="status" className="ok" id="order-moved">
        {done}
      </p>
      <ScrollRegion labelledBy="orders-title">
        <table id="sales-orders">
          <caption className="muted">{t("ordersNewest", { count: String(ORDERS_SHOWN) })}</caption>
          <TableHead
            columns={[
              t("colOrderNo"),
              t("colCustomer"),
              t("colLines"),
              t("colTotal"),
              t("colStatus"),
              t("colCreated"),
              t("colShipped"),
              t("colActions"),
            ]}
          />
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-order-id={o.id}>
                <th scope="row">{o.orderNo}</th>
                <td>{o.customer.name}</td>
                <td>
                  {o.lines.map((line, n) => (
                    <span key={n} className="line-text">
                      {t("lineText", {
                        sku: line.item.sku,
                        quantity: i18n.number(line.quantity),
                        warehouse: line.warehouse.code,
                      })}
                    </span>
                  ))}
                </td>
                <td className="num">{i18n.money(o.total)}</td>
                <td>
                  <span className={`badge badge-${o.status.toLowerCase()}`}>{status(o.status)}</span>
                </td>
                <td>{i18n.dateTime(o.createdAt)}</td>
                <td>{i18n.dateTime(o.shippedAt)}</td>
                <td className="row-actions">
                  {o.status === "CONFIRMED" && (
                    <>
                      <button type="button" disabled={busy !== null} onClick={() => void move(o, "ship")}
                        aria-label={t("ship", { order: o.orderNo })}>
                        {t("shipShort")}
                      </button>
                      <button type="button" disabled={busy !== null} onClick={() => void move(o, "cancel")}
                        aria-label={t("cancel", { order: o.orderNo })}>
                        {t("cancelShort")}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </>
  );
}
