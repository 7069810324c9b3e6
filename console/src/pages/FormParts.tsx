// Small pieces of the work pages' forms: a select's options from a list of choices, and the
// errors of a form that name none of its inputs (shown above it, with their codes).
import { describe, type FieldedError } from "./homeApi";

export type Choice = { value: string; label: string };

/** A select's options, one per choice. */
export function Options({ choices }: { choices: Choice[] }) {
  return (
    <>
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.label}
        </option>
      ))}
    </>
  );
}

/** The errors of a form that name none of its inputs, above it. */
export function Errors({ id, errors }: { id: string; errors: FieldedError[] }) {
  if (errors.length === 0) return null;
  return (
    <div role="alert" className="alert" id={id}>
      {errors.map((e, n) => (
        <p key={n}>{describe(e)}</p>
      ))}
    </div>
  );
}

/** A whole number typed in a form; 0 when there is none, so the server names the input. */
export function whole(text: string): number {
  const value = Number.parseInt(text, 10);
  return Number.isNaN(value) ? 0 : value;
}
