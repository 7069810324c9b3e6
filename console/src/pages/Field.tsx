// One labelled input of a form with the server's errors about it beside it: the input says
// aria-invalid and is described by them, so a screen reader reads the error with it.
// FieldFrame is that wiring for any control (ChoiceField puts a select in it).
import type { InputHTMLAttributes, ReactNode } from "react";
import { describe, errorsFor, type FieldedError } from "./homeApi";

/** What names a field of a form and the server's errors that may be about it. */
export interface FieldProps {
  /** The form's name: the control's id is unique on the page, two forms may name input.title. */
  form: string;
  label: string;
  field: string;
  errors: FieldedError[];
}

/** The attributes that tie a control to its label and to the errors about it. */
export interface ControlWiring {
  id: string;
  name: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
}

/** The label, the control and the server's errors about its field, in one `div.field`. */
export function FieldFrame(
  props: FieldProps & { control: (wiring: ControlWiring) => ReactNode },
) {
  const { form, label, field, errors, control } = props;
  const id = `${form}-${field.replaceAll(".", "-")}`;
  const mine = errorsFor(errors, field);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control({
        id,
        name: field,
        "aria-invalid": mine.length > 0 ? true : undefined,
        "aria-describedby": mine.length > 0 ? `${id}-error` : undefined,
      })}
      {mine.length > 0 && (
        <p className="field-error alert" id={`${id}-error`} data-field={field}>
          {mine.map(describe).join(" ")}
        </p>
      )}
    </div>
  );
}

export function Field(
  props: FieldProps & {
    value: string;
    onValue: (value: string) => void;
  } & Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange" | "form">,
) {
  const { form, label, field, errors, value, onValue, ...input } = props;
  return (
    <FieldFrame form={form} label={label} field={field} errors={errors}
      control={(wiring) => (
        <input {...input} {...wiring} value={value} onChange={(e) => onValue(e.target.value)} />
      )} />
  );
}
