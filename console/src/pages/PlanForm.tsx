// A new production plan (createProductionPlan): a name, the month it is for (YYYY-MM, as the
// API wants it) and lines of item and quantity, each becoming a PLANNED work order. The
// server's coded errors are shown beside the inputs they name (input.lines.0.sku, ...).
import { useState, type FormEvent } from "react";
import { useQuery } from "../useQuery";
import { Field } from "./Field";
import { Errors, lineFields, useLines, useSending, whole } from "./FormParts";
import { otherErrors, thisMonth } from "./homeApi";
import { useProductionText } from "./productionText";

const CREATE_PLAN = `mutation ConsoleCreatePlan($input: CreateProductionPlanInput!) {
  createProductionPlan(input: $input) { id name period workOrders { id orderNo } }
}`;
const ITEMS = `query ConsolePlanItems { items(first: 100) { edges { node { sku name } } } }`;

interface Line {
  sku: string;
  quantity: string;
}
interface Created {
  name: string;
  workOrders: { orderNo: string }[];
}
const NEW_LINE: Line = { sku: "", quantity: "1" };

export function PlanForm({ onCreated }: { onCreated: () => void }) {
  const { t } = useProductionText();
  const items = useQuery<{ items: { edges: { node: { sku: string; name: string } }[] } | null }>(
    ITEMS,
    {},
  );
  const [name, setName] = useState("");
  const [period, setPeriod] = useState(thisMonth);
  const { lines, setLine, addLine, clearLines } = useLines(NEW_LINE);
  const { errors, busy, send } = useSending();
  const [done, setDone] = useState<Created | null>(null);
  const fields = [
    "input.name",
    "input.period",
    ...lineFields("input.lines", lines.length, ["sku", "quantity"]),
  ];

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const input = {
      name,
      period,
      lines: lines.map((line) => ({
        sku: line.sku.trim(),
        quantity: whole(line.quantity),
      })),
    };
    const data = await send<{ createProductionPlan: Created | null }>(CREATE_PLAN, { input });
    if (data?.createProductionPlan) {
      setDone(data.createProductionPlan);
      setName("");
      clearLines();
      onCreated();
    }
  }

  const general = otherErrors(errors, fields); // "A plan makes something" among them
  return (
    <section aria-labelledby="plan-title" className="card">
      <h2 id="plan-title">{t("planTitle")}</h2>
      <form onSubmit={submit} noValidate aria-describedby="plan-hint">
        <p className="muted" id="plan-hint">
          {t("planHint")}
        </p>
        <Errors id="plan-errors" errors={general} />
        {done && (
          <p role="status" className="ok" id="plan-created">
            {t("planCreated", {
              name: done.name,
              orders: done.workOrders.map((o) => o.orderNo).join(", "),
            })}
          </p>
        )}
        <Field form="plan" label={t("planName")} field="input.name" errors={errors} value={name}
          onValue={setName} autoComplete="off" />
        <Field form="plan" label={t("planPeriod")} field="input.period" errors={errors}
          value={period} onValue={setPeriod} type="month" />
        <datalist id="plan-items">
          {(items.data?.items?.edges ?? []).map(({ node }) => (
            <option key={node.sku} value={node.sku}>
              {node.name}
            </option>
          ))}
        </datalist>
        {lines.map((line, n) => (
          <fieldset key={n} className="line">
            <legend>{t("planLine", { number: n + 1 })}</legend>
            <Field form="plan" label={t("sku")} field={`input.lines.${n}.sku`} errors={errors}
              value={line.sku} onValue={(sku) => setLine(n, { sku })} list="plan-items"
              autoComplete="off" />
            <Field form="plan" label={t("quantity")} field={`input.lines.${n}.quantity`}
              errors={errors} value={line.quantity} onValue={(quantity) => setLine(n, { quantity })}
              type="number" min={1} step={1} inputMode="numeric" />
          </fieldset>
        ))}
        <div className="actions">
          <button type="button" onClick={addLine}>
            {t("addLine")}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {t("createPlan")}
          </button>
        </div>
      </form>
    </section>
  );
}
