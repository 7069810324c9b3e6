// One labelled input of a Home form with the server's errors about it beside it: the input
// says aria-invalid and is described by them, so a screen reader reads the error with it.
import type { InputHTMLAttributes } from "react";
import { describe, errorsFor, type FieldedError } from "./homeApi";

export function Field(
  props: {
    /** The form's name: the input's id is unique on the page, two forms may name input.title. */
    form: string;
    label: string;
    field: string;
    errors: FieldedError[];
    value: string;
    onValue: (value: string) => void;
  } & Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange">,
) {
  const { form, label, field, errors, value, onValue, ...input } = props;
  const id = `${form}-${field.replaceAll(".", "-")}`;
  const mine = errorsFor(errors, field);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        {...input}
        id={id}
        name={field}
        value={value}
        onChange={(e) => onValue(e.target.value)}
        aria-invalid={mine.length > 0 ? true : undefined}
        aria-describedby={mine.length > 0 ? `${id}-error` : undefined}
      />
      {mine.length > 0 && (
        <p className="field-error alert" id={`${id}-error`} data-field={field}>
          {mine.map(describe).join(" ")}
        </p>
      )}
    </div>
  );
}
