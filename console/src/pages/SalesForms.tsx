// The sales page's forms: a new sales order (createSalesOrder: a customer, lines of SKU,
// quantity and an optional unit price, an optional warehouse) and a new customer
// (createCustomer). The server's coded errors are shown beside the input they name: credit
// beyond the limit is CONFLICT on the customer, short stock CONFLICT on the line's quantity,
// an unknown SKU NOT_FOUND on the SKU.
import { useState, type FormEvent } from "react";
import { ChoiceField } from "./ChoiceField";
import { Field } from "./Field";
import { Errors, lineFields, Options, useLines, useSending, whole, type Choice } from "./FormParts";
import { otherErrors } from "./homeApi";
import { useSalesText } from "./salesText";

interface Line {
  sku: string;
  quantity: string;
  unitPrice: string;
}
type Money = { amount: string; currency: string };

const CURRENCY = "CNY";
const NEW_LINE: Line = { sku: "", quantity: "1", unitPrice: "" };
const CREATE_ORDER = `mutation ConsoleCreateSalesOrder($input: CreateSalesOrderInput!) {
  createSalesOrder(input: $input) { id orderNo status total { amount currency } }
}`;
const CREATE_CUSTOMER = `mutation ConsoleCreateCustomer($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id customerNo name }
}`;

export function OrderForm(props: { customers: Choice[]; warehouses: Choice[]; placed: () => void }) {
  const { t, status, i18n } = useSalesText();
  const [customer, setCustomer] = useState("");
  const [warehouse, setWarehouse] = useState("");
  const { lines, setLine, addLine, clearLines } = useLines(NEW_LINE);
  const { errors, busy, send } = useSending();
  const [done, setDone] = useState<string | null>(null);
  const fields = [
    "input.customerId",
    "input.warehouseId",
    ...lineFields("input.lines", lines.length, ["sku", "quantity", "unitPrice"]),
  ];

  async function place(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const input = {
      customerId: customer,
      warehouseId: warehouse || null,
      lines: lines.map((line) => ({
        sku: line.sku.trim(),
        quantity: whole(line.quantity),
        unitPrice: line.unitPrice.trim()
          ? { amount: line.unitPrice.trim(), currency: CURRENCY }
          : null,
      })),
    };
    type Placed = { orderNo: string; status: string; total: Money } | null;
    const data = await send<{ createSalesOrder: Placed }>(CREATE_ORDER, { input });
    const order = data?.createSalesOrder;
    if (order) {
      setDone(
        t("orderPlaced", {
          order: order.orderNo,
          total: i18n.money(order.total),
          status: status(order.status),
        }),
      );
      clearLines();
      props.placed();
    }
  }

  return (
    <section aria-labelledby="new-order-title" className="card new-order">
      <h2 id="new-order-title">{t("newOrderTitle")}</h2>
      <form onSubmit={place} noValidate aria-describedby="new-order-hint">
        <p className="muted" id="new-order-hint">
          {t("newOrderHint")}
        </p>
        <Errors id="new-order-errors" errors={otherErrors(errors, fields)} />
        <ChoiceField form="order" label={t("customer")} field="input.customerId" errors={errors}
          value={customer} onValue={setCustomer}>
          <Options choices={[{ value: "", label: t("chooseCustomer") }, ...props.customers]} />
        </ChoiceField>
        <ChoiceField form="order" label={t("warehouse")} field="input.warehouseId" errors={errors}
          value={warehouse} onValue={setWarehouse}>
          <Options choices={[{ value: "", label: t("anyWarehouse") }, ...props.warehouses]} />
        </ChoiceField>
        {lines.map((line, n) => (
          <fieldset key={n} className="line">
            <legend>{t("orderLine", { number: String(n + 1) })}</legend>
            <Field form="order" label={t("sku")} field={`input.lines.${n}.sku`} errors={errors}
              value={line.sku} onValue={(sku) => setLine(n, { sku })} autoComplete="off" />
            <Field form="order" label={t("quantity")} field={`input.lines.${n}.quantity`}
              errors={errors} value={line.quantity} onValue={(quantity) => setLine(n, { quantity })}
              type="number" min={1} step={1} inputMode="numeric" />
            <Field form="order" label={t("unitPrice", { currency: CURRENCY })}
              field={`input.lines.${n}.unitPrice`} errors={errors} value={line.unitPrice}
              onValue={(unitPrice) => setLine(n, { unitPrice })} inputMode="decimal" />
          </fieldset>
        ))}
        <div className="actions">
          <button type="button" onClick={addLine}>
            {t("addLine")}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {t("placeOrder")}
          </button>
        </div>
        <p role="status" className="ok" id="order-placed">
          {done}
        </p>
      </form>
    </section>
  );
}

export function CustomerForm({ created }: { created: () => void }) {
  const { t } = useSalesText();
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [limit, setLimit] = useState("");
  const { errors, busy, send } = useSending();
  const [done, setDone] = useState<string | null>(null);
  const fields = ["input.name", "input.phone", "input.creditLimit"];

  async function create(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const input = {
      name,
      phone: phone.trim() || null,
      creditLimit: { amount: limit.trim(), currency: CURRENCY },
    };
    type Created = { customerNo: string; name: string } | null;
    const data = await send<{ createCustomer: Created }>(CREATE_CUSTOMER, { input });
    const customer = data?.createCustomer;
    if (customer) {
      setDone(t("customerCreated", { customer: customer.name, number: customer.customerNo }));
      setName("");
      setPhone("");
      setLimit("");
      created();
    }
  }

  return (
    <section aria-labelledby="new-customer-title" className="card new-customer">
      <h2 id="new-customer-title">{t("newCustomerTitle")}</h2>
      <form onSubmit={create} noValidate>
        <Errors id="new-customer-errors" errors={otherErrors(errors, fields)} />
        <Field form="customer" label={t("customerName")} field="input.name" errors={errors}
          value={name} onValue={setName} autoComplete="off" />
        <Field form="customer" label={t("customerPhone")} field="input.phone" errors={errors}
          value={phone} onValue={setPhone} type="tel" autoComplete="off" />
        <Field form="customer" label={t("creditLimit", { currency: CURRENCY })}
          field="input.creditLimit" errors={errors} value={limit} onValue={setLimit}
          inputMode="decimal" />
        <button type="submit" className="primary" disabled={busy}>
          {t("createCustomer")}
        </button>
        <p role="status" className="ok" id="customer-created">
          {done}
        </p>
      </form>
    </section>
  );
}
