// The warehouse page's work: the open purchase orders (sendPurchaseOrder for a created one,
// receiveGoods for a sent one: every line's quantity into the chosen warehouse) and a stock
// adjustment (adjustStock: stock never goes negative, CONFLICT on the quantity). The server's
// coded errors are shown beside the input they name, or above the table or form.
import { useState, type FormEvent } from "react";
import { ScrollRegion, TableHead } from "../components";
import { ChoiceField } from "./ChoiceField";
import { Field } from "./Field";
import { Errors, Options, useSending, whole } from "./FormParts";
import { mutate, otherErrors, unsent, type FieldedError } from "./homeApi";
import type { Place } from "./Warehouse";
import { useWarehouseText } from "./warehouseText";

export interface PurchaseOrder {
  id: string;
  orderNo: string;
  status: string;
  total: { amount: string; currency: string };
  supplier: { name: string; bankAccount: string | null };
  requestedBy: { name: string } | null;
  lines: { item: { sku: string }; quantity: number }[];
}

const SEND = `mutation ConsoleSendPurchaseOrder($id: ID!) {
  sendPurchaseOrder(id: $id) { id orderNo status }
}`;
const RECEIVE = `mutation ConsoleReceiveGoods($input: ReceiveGoodsInput!) {
  receiveGoods(input: $input) { id orderNo status receivedInto { code name } }
}`;
const ADJUST = `mutation ConsoleAdjustStock($input: AdjustStockInput!) {
  adjustStock(input: $input) { item { sku } warehouse { code } quantity }
}`;

type Moved = { orderNo: string; receivedInto?: { code: string; name: string } | null } | null;

export function OpenOrders(props: { orders: PurchaseOrder[]; places: Place[]; moved: () => void }) {
  const { t, status, i18n } = useWarehouseText();
  const [into, setInto] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<{ order: string; errors: FieldedError[] } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(order: PurchaseOrder) {
    setErrors(null);
    setDone(null);
    setBusy(true);
    try {
      const receiving = order.status === "SENT";
      const answer = receiving
        ? await mutate<{ receiveGoods: Moved }>(RECEIVE, {
            input: { purchaseOrderId: order.id, warehouseId: into[order.id] ?? "" },
          })
        : await mutate<{ sendPurchaseOrder: Moved }>(SEND, { id: order.id });
      setErrors({ order: order.id, errors: answer.errors });
      const data = answer.data as { receiveGoods?: Moved; sendPurchaseOrder?: Moved } | null;
      const after = data?.receiveGoods ?? data?.sendPurchaseOrder;
      if (after) {
        setDone(
          after.receivedInto
            ? t("received", { order: after.orderNo, warehouse: after.receivedInto.name })
            : t("sent", { order: after.orderNo }),
        );
        props.moved();
      }
    } catch (error) {
      setErrors({ order: order.id, errors: unsent(error) });
    } finally {
      setBusy(false);
    }
  }

  const mine = (order: PurchaseOrder) => (errors?.order === order.id ? errors.errors : []);
  const places = [
    { value: "", label: t("chooseWarehouse") },
    ...props.places.map((p) => ({ value: p.id, label: `${p.code} · ${p.name}` })),
  ];
  const general = errors ? otherErrors(errors.errors, ["input.warehouseId"]) : [];
  return (
    <>
      <Errors id="order-errors" errors={general} />
      <p role="status" className="ok" id="order-moved">
        {done}
      </p>
      {props.orders.length === 0 ? (
        <p>{t("ordersEmpty")}</p>
      ) : (
        <ScrollRegion labelledBy="open-orders-title">
          <table id="open-orders">
            <TableHead
              columns={[
                t("colOrderNo"),
                t("colSupplier"),
                t("colLines"),
                t("colTotal"),
                t("colRequestedBy"),
                t("colStatus"),
                t("colActions"),
              ]}
            />
            <tbody>
              {props.orders.map((o) => (
                <tr key={o.id} data-order-id={o.id}>
                  <th scope="row">{o.orderNo}</th>
                  <td>
                    {o.supplier.name}
                    {o.supplier.bankAccount && (
                      <span className="muted line-text supplier-account">
                        {t("payTo", { account: o.supplier.bankAccount })}
                      </span>
                    )}
                  </td>
                  <td>
                    {o.lines.map((line, n) => (
                      <span key={n} className="line-text">
                        {t("lineText", { sku: line.item.sku, quantity: i18n.number(line.quantity) })}
                      </span>
                    ))}
                  </td>
                  <td className="num">{i18n.money(o.total)}</td>
                  <td>{o.requestedBy?.name ?? "—"}</td>
                  <td>
                    <span className={`badge badge-${o.status.toLowerCase()}`}>{status(o.status)}</span>
                  </td>
                  <td className="row-actions">
                    {o.status === "SENT" ? (
                      <form className="receive" onSubmit={(e) => { e.preventDefault(); void run(o); }}>
                        <ChoiceField form={`receive-${o.id}`} label={t("receiveInto", { order: o.orderNo })}
                          field="input.warehouseId" errors={mine(o)} value={into[o.id] ?? ""}
                          onValue={(id) => setInto((all) => ({ ...all, [o.id]: id }))}>
                          <Options choices={places} />
                        </ChoiceField>
                        <button type="submit" className="primary" disabled={busy}>
                          {t("receive")}
                        </button>
                      </form>
                    ) : (
                      <button type="button" disabled={busy} onClick={() => void run(o)}
                        aria-label={t("send", { order: o.orderNo })}>
                        {t("sendShort")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </>
  );
}

export function AdjustForm({ places, adjusted }: { places: Place[]; adjusted: () => void }) {
  const { t, i18n } = useWarehouseText();
  const [sku, setSku] = useState("");
  const [warehouse, setWarehouse] = useState("");
  const [quantity, setQuantity] = useState("");
  const [reason, setReason] = useState("");
  const { errors, busy, send } = useSending();
  const [done, setDone] = useState<string | null>(null);
  const fields = ["input.sku", "input.warehouseId", "input.quantity", "input.reason"];

  async function adjust(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const input = { sku: sku.trim(), warehouseId: warehouse, quantity: whole(quantity), reason };
    type Level = { item: { sku: string }; warehouse: { code: string }; quantity: number } | null;
    const data = await send<{ adjustStock: Level }>(ADJUST, { input });
    const level = data?.adjustStock;
    if (level) {
      setDone(
        t("adjusted", {
          sku: level.item.sku,
          warehouse: level.warehouse.code,
          quantity: i18n.number(level.quantity),
        }),
      );
      setQuantity("");
      setReason("");
      adjusted();
    }
  }

  return (
    <section aria-labelledby="adjust-title" className="card work adjust">
      <h2 id="adjust-title">{t("adjustTitle")}</h2>
      <form onSubmit={adjust} noValidate aria-describedby="adjust-hint">
        <p className="muted" id="adjust-hint">
          {t("adjustHint")}
        </p>
        <Errors id="adjust-errors" errors={otherErrors(errors, fields)} />
        <Field form="adjust" label={t("sku")} field="input.sku" errors={errors} value={sku}
          onValue={setSku} autoComplete="off" />
        <ChoiceField form="adjust" label={t("warehouse")} field="input.warehouseId" errors={errors}
          value={warehouse} onValue={setWarehouse}>
          <Options
            choices={[
              { value: "", label: t("chooseWarehouse") },
              ...places.map((p) => ({ value: p.id, label: `${p.code} · ${p.name}` })),
            ]}
          />
        </ChoiceField>
        <Field form="adjust" label={t("quantity")} field="input.quantity" errors={errors}
          value={quantity} onValue={setQuantity} type="number" step={1} inputMode="numeric" />
        <Field form="adjust" label={t("reason")} field="input.reason" errors={errors} value={reason}
          onValue={setReason} autoComplete="off" />
        <button type="submit" className="primary" disabled={busy}>
          {t("adjust")}
        </button>
        <p role="status" className="ok" id="stock-adjusted">
          {done}
        </p>
      </form>
    </section>
  );
}
