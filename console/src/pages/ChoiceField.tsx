// One labelled choice (a select) of a work page's form with the server's errors about it beside it,
// as Field does for an input: the select says aria-invalid and is described by them.
import type { ReactNode, SelectHTMLAttributes } from "react";
import { describe, errorsFor, type FieldedError } from "./homeApi";

export function ChoiceField(
  props: {
    /** The form's name: the select's id is unique on the page. */
    form: string;
    label: string;
    field: string;
    errors: FieldedError[];
    value: string;
    onValue: (value: string) => void;
    children: ReactNode;
  } & Omit<SelectHTMLAttributes<HTMLSelectElement>, "value" | "onChange">,
) {
  const { form, label, field, errors, value, onValue, children, ...select } = props;
  const id = `${form}-${field.replaceAll(".", "-")}`;
  const mine = errorsFor(errors, field);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        {...select}
        id={id}
        name={field}
        value={value}
        onChange={(e) => onValue(e.target.value)}
        aria-invalid={mine.length > 0 ? true : undefined}
        aria-describedby={mine.length > 0 ? `${id}-error` : undefined}
      >
        {children}
      </select>
      {mine.length > 0 && (
        <p className="field-error alert" id={`${id}-error`} data-field={field}>
          {mine.map(describe).join(" ")}
        </p>
      )}
    </div>
  );
}
