// Home's new request: a purchase (lines of sku, quantity, unit price) or an expense claim,
// sent through the public API (submitPurchaseRequest, submitApprovalRequest EXPENSE). The
// answer's budget position (ERP: the department's month as the request meets it) is shown
// beside the form; the server's coded errors beside the inputs they name.
import { useState, type FormEvent } from "react";
import { useI18n } from "../i18n";
import { onLinkClick } from "../router";
import { Budget, BUDGET_POSITION, type BudgetPosition } from "./Approval";
import { Field } from "./Field";
import { Errors, lineFields, useLines, useSending } from "./FormParts";
import { otherErrors, thisMonth } from "./homeApi";
import { useHomeText } from "./homeText";

const SUBMITTED = `{ id title status budgetPosition ${BUDGET_POSITION} }`;
const SUBMIT_PURCHASE = `mutation ConsoleSubmitPurchase($input: PurchaseRequestInput!) {
  submitPurchaseRequest(input: $input) ${SUBMITTED}
}`;
const SUBMIT_EXPENSE = `mutation ConsoleSubmitExpense($input: ApprovalRequestInput!) {
  submitApprovalRequest(kind: "EXPENSE", input: $input) ${SUBMITTED}
}`;

interface Submitted {
  id: string;
  title: string;
  status: string;
  budgetPosition: BudgetPosition;
}
interface Line {
  sku: string;
  quantity: string;
  unitPrice: string;
}
type Kind = "PURCHASE" | "EXPENSE";
const CURRENCY = "CNY";
const NEW_LINE: Line = { sku: "", quantity: "1", unitPrice: "" };

export function RequestForm({ onSubmitted }: { onSubmitted: () => void }) {
  const i18n = useI18n();
  const { t } = useHomeText();
  const [kind, setKind] = useState<Kind>("PURCHASE");
  const [title, setTitle] = useState("");
  const [period, setPeriod] = useState(thisMonth);
  const { lines, setLine, addLine, clearLines } = useLines(NEW_LINE);
  const [amount, setAmount] = useState("");
  const { errors, setErrors, busy, send } = useSending();
  const [done, setDone] = useState<Submitted | null>(null);

  const fields = [
    "input.title",
    "input.budgetPeriod",
    ...(kind === "PURCHASE"
      ? lineFields("input.items", lines.length, ["sku", "quantity", "unitPrice"])
      : ["input.amount"]),
  ];

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const input =
      kind === "PURCHASE"
        ? {
            title,
            budgetPeriod: period,
            items: lines.map((line) => ({
              sku: line.sku.trim(),
              quantity: Number.parseInt(line.quantity, 10),
              unitPrice: { amount: line.unitPrice.trim(), currency: CURRENCY },
            })),
          }
        : { title, budgetPeriod: period, amount: { amount: amount.trim(), currency: CURRENCY } };
    const data = await send<{
      submitPurchaseRequest?: Submitted;
      submitApprovalRequest?: Submitted;
    }>(kind === "PURCHASE" ? SUBMIT_PURCHASE : SUBMIT_EXPENSE, { input });
    const submitted = data?.submitPurchaseRequest ?? data?.submitApprovalRequest;
    if (submitted) {
      setDone(submitted);
      setTitle("");
      clearLines();
      setAmount("");
      onSubmitted();
    }
  }

  const general = otherErrors(errors, fields);
  return (
    <section aria-labelledby="new-request-title" className="card new-request">
      <h2 id="new-request-title">{t("newRequestTitle")}</h2>
      <div className="side-by-side">
        <form onSubmit={submit} noValidate aria-describedby="new-request-hint">
          <p className="muted" id="new-request-hint">
            {t("newRequestHint")}
          </p>
          <fieldset className="kinds">
            <legend>{t("requestKind")}</legend>
            {(["PURCHASE", "EXPENSE"] as const).map((k) => (
              <label key={k}>
                <input
                  type="radio"
                  name="kind"
                  value={k}
                  checked={kind === k}
                  onChange={() => {
                    setKind(k);
                    setErrors([]);
                  }}
                />{" "}
                {t(k === "PURCHASE" ? "kindPurchase" : "kindExpense")}
              </label>
            ))}
          </fieldset>
          <Errors id="request-errors" errors={general} />
          <Field form="request" label={t("requestTitle")} field="input.title" errors={errors} value={title}
            onValue={setTitle} required autoComplete="off" />
          <Field form="request" label={t("budgetMonth")} field="input.budgetPeriod" errors={errors}
            value={period} onValue={setPeriod} type="month" />
          {kind === "PURCHASE" ? (
            lines.map((line, n) => (
              <fieldset key={n} className="line">
                <legend>{t("itemLine", { number: n + 1 })}</legend>
                <Field form="request" label={t("sku")} field={`input.items.${n}.sku`} errors={errors}
                  value={line.sku} onValue={(sku) => setLine(n, { sku })} autoComplete="off" />
                <Field form="request" label={t("quantity")} field={`input.items.${n}.quantity`} errors={errors}
                  value={line.quantity} onValue={(quantity) => setLine(n, { quantity })}
                  type="number" min={1} step={1} inputMode="numeric" />
                <Field form="request" label={t("unitPrice", { currency: CURRENCY })}
                  field={`input.items.${n}.unitPrice`} errors={errors} value={line.unitPrice}
                  onValue={(unitPrice) => setLine(n, { unitPrice })} inputMode="decimal" />
              </fieldset>
            ))
          ) : (
            <Field form="request" label={t("expenseAmount", { currency: CURRENCY })} field="input.amount"
              errors={errors} value={amount} onValue={setAmount} inputMode="decimal" />
          )}
          <div className="actions">
            {kind === "PURCHASE" && (
              <button type="button" onClick={addLine}>
                {t("addLine")}
              </button>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {t("submitRequest")}
            </button>
          </div>
        </form>
        <div className="budget-beside" aria-live="polite">
          {done ? (
            <>
              <p role="status" className="ok" id="request-submitted">
                {t("requestSubmitted")}{" "}
                <a href={`/approvals/${encodeURIComponent(done.id)}`} onClick={onLinkClick}>
                  {done.title}
                </a>
              </p>
              <Budget request={done} i18n={i18n} />
            </>
          ) : (
            <p className="muted">{t("budgetAfterSubmit")}</p>
          )}
        </div>
      </div>
    </section>
  );
}
