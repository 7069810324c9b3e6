// The steps a work order goes through on the Production page, each a form of its own with the
// server's coded errors beside its inputs: release it from a warehouse (PLANNED -> RELEASED,
// a shortage there is CONFLICT naming warehouseId), record output (-> IN_PROGRESS ->
// COMPLETED, more than remains is BAD_USER_INPUT naming quantity), record an inspection.
import { useState } from "react";
import { ChoiceField } from "./ChoiceField";
import { Field } from "./Field";
import { mutate } from "./homeApi";
import { useProductionText } from "./productionText";
import { StepForm, type Answer } from "./StepForm";

const RELEASE = `mutation ConsoleRelease($id: ID!, $warehouseId: ID!) {
  releaseWorkOrder(id: $id, warehouseId: $warehouseId) { orderNo status }
}`;
const PROGRESS = `mutation ConsoleProgress($id: ID!, $quantity: Int!) {
  reportProgress(workOrderId: $id, quantity: $quantity) { orderNo status }
}`;
const INSPECT = `mutation ConsoleInspect($input: RecordInspectionInput!) {
  recordInspection(input: $input) { id }
}`;

/** A whole number typed in an input; 0 for anything else (the server says what is wrong). */
function whole(text: string): number {
  return Number.parseInt(text, 10) || 0;
}

export function ReleaseStep(props: {
  id: string;
  warehouses: { id: string; code: string; name: string }[];
  warehouse: string;
  onWarehouse: (id: string) => void;
  done: () => void;
}) {
  const { t } = useProductionText();
  async function send(): Promise<Answer> {
    if (!props.warehouse) {
      const unchosen = { message: t("needWarehouse"), extensions: { field: "warehouseId" } };
      return { data: null, errors: [unchosen] };
    }
    return mutate<Record<string, unknown>>(RELEASE, { id: props.id, warehouseId: props.warehouse });
  }
  return (
    <StepForm name="release" title={t("releaseTitle")} hint={t("releaseHint")}
      button={t("releaseButton")} saved={t("saved")} fields={["warehouseId"]} send={send}
      done={props.done}>
      {(errors) => (
        <ChoiceField form="release" label={t("warehouse")} field="warehouseId" errors={errors}
          value={props.warehouse} onValue={props.onWarehouse}>
          <option value="">{t("chooseWarehouse")}</option>
          {props.warehouses.map((w) => (
            <option key={w.id} value={w.id}>
              {w.code} · {w.name}
            </option>
          ))}
        </ChoiceField>
      )}
    </StepForm>
  );
}

export function OutputStep(props: { id: string; remaining: number; done: () => void }) {
  const { t } = useProductionText();
  const [quantity, setQuantity] = useState(String(props.remaining));
  return (
    <StepForm name="output" title={t("outputTitle")} button={t("outputButton")} saved={t("saved")}
      fields={["quantity"]} done={props.done}
      send={() => mutate(PROGRESS, { id: props.id, quantity: whole(quantity) })}>
      {(errors) => (
        <Field form="output" label={t("outputQuantity")} field="quantity" errors={errors}
          value={quantity} onValue={setQuantity} type="number" min={1} step={1}
          inputMode="numeric" />
      )}
    </StepForm>
  );
}

export function InspectStep(props: { id: string; made: number; done: () => void }) {
  const { t } = useProductionText();
  const [inspected, setInspected] = useState(String(props.made));
  const [defects, setDefects] = useState("0");
  const [notes, setNotes] = useState("");
  const input = () => ({
    workOrderId: props.id,
    inspected: whole(inspected),
    defects: whole(defects),
    notes: notes.trim() || null,
  });
  return (
    <StepForm name="inspect" title={t("inspectTitle")} button={t("inspectButton")}
      saved={t("saved")} fields={["input.inspected", "input.defects", "input.notes"]}
      done={props.done} send={() => mutate(INSPECT, { input: input() })}>
      {(errors) => (
        <>
          <Field form="inspect" label={t("inspected")} field="input.inspected" errors={errors}
            value={inspected} onValue={setInspected} type="number" min={1} step={1}
            inputMode="numeric" />
          <Field form="inspect" label={t("defects")} field="input.defects" errors={errors}
            value={defects} onValue={setDefects} type="number" min={0} step={1}
            inputMode="numeric" />
          <Field form="inspect" label={t("notes")} field="input.notes" errors={errors}
            value={notes} onValue={setNotes} autoComplete="off" />
        </>
      )}
    </StepForm>
  );
}
