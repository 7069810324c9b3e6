// One labelled choice (a select) of a work page's form with the server's errors about it
// beside it, as Field does for an input (both through FieldFrame).
import type { ReactNode, SelectHTMLAttributes } from "react";
import { FieldFrame, type FieldProps } from "./Field";

export function ChoiceField(
  props: FieldProps & {
    value: string;
    onValue: (value: string) => void;
    children: ReactNode;
  } & Omit<SelectHTMLAttributes<HTMLSelectElement>, "value" | "onChange" | "form">,
) {
  const { form, label, field, errors, value, onValue, children, ...select } = props;
  return (
    <FieldFrame form={form} label={label} field={field} errors={errors}
      control={(wiring) => (
        <select {...select} {...wiring} value={value} onChange={(e) => onValue(e.target.value)}>
          {children}
        </select>
      )} />
  );
}
