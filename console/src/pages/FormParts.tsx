// Small pieces of the work pages' forms: a select's options from a list of choices, the
// errors of a form that name none of its inputs (shown above it, with their codes), and the
// lines of an order-like form (one fieldset each, a line added by a button), and the sending
// of a form's mutation.
import { useState } from "react";
import { describe, mutate, unsent, type FieldedError } from "./homeApi";

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

/**
 * The lines a form edits (a plan's, an order's, a purchase request's items), starting with
 * one blank line: each changed in place, one added at the end, all cleared once sent.
 */
export function useLines<Line extends object>(blank: Line) {
  const [lines, setLines] = useState<Line[]>([{ ...blank }]);
  return {
    lines,
    setLine(index: number, change: Partial<Line>) {
      setLines((all) => all.map((line, n) => (n === index ? { ...line, ...change } : line)));
    },
    addLine() {
      setLines((all) => [...all, { ...blank }]);
    },
    clearLines() {
      setLines([{ ...blank }]);
    },
  };
}

/** The fields the server may name in a form's lines: `<prefix>.<n>.<name>` for each line. */
export function lineFields(prefix: string, count: number, names: readonly string[]): string[] {
  const one = (n: number) => names.map((name) => `${prefix}.${n}.${name}`);
  return Array.from({ length: count }, (_, n) => one(n)).flat();
}

/**
 * A form's mutation as it is sent: busy meanwhile, then the server's coded errors (or why it
 * could not be sent) to show beside the inputs they name. ``send`` answers the data, null
 * when there is none.
 */
export function useSending() {
  const [errors, setErrors] = useState<FieldedError[]>([]);
  const [busy, setBusy] = useState(false);
  async function send<T>(query: string, variables: Record<string, unknown>): Promise<T | null> {
    setBusy(true);
    setErrors([]);
    try {
      const answer = await mutate<T>(query, variables);
      setErrors(answer.errors);
      return answer.data;
    } catch (error) {
      setErrors(unsent(error));
      return null;
    } finally {
      setBusy(false);
    }
  }
  return { errors, setErrors, busy, send };
}
