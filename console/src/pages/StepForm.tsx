// One step of a work page's record (release a work order, transfer a person, ...) as a form:
// it sends its mutation, shows the server's coded errors beside the inputs of ``fields`` (the
// others above the form) and, once done, says so and tells the page.
import { useState, type FormEvent, type ReactNode } from "react";
import { describe, otherErrors, unsent, type FieldedError } from "./homeApi";

/** A mutation's answer (``mutate``): its data (one field, null when refused) and errors. */
export interface Answer {
  data: Record<string, unknown> | null;
  errors: FieldedError[];
}

export function StepForm(props: {
  name: string;
  /** What is said once the step is done. */
  saved: string;
  /** The step's heading; without one, the form is named by ``labelledBy``. */
  title?: string;
  labelledBy?: string;
  hint?: string;
  button: string;
  fields: string[];
  send: () => Promise<Answer>;
  done: () => void;
  children: (errors: FieldedError[]) => ReactNode;
}) {
  const [errors, setErrors] = useState<FieldedError[]>([]);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors([]);
    setSaved(false);
    try {
      const answer = await props.send();
      setErrors(answer.errors);
      if (answer.data && Object.values(answer.data).some((value) => value !== null)) {
        setSaved(true);
        props.done();
      }
    } catch (error) {
      setErrors(unsent(error));
    } finally {
      setBusy(false);
    }
  }

  const general = otherErrors(errors, props.fields);
  return (
    <form onSubmit={submit} noValidate className="step"
      aria-labelledby={props.title ? `${props.name}-title` : props.labelledBy}>
      {props.title && <h3 id={`${props.name}-title`}>{props.title}</h3>}
      {props.hint && <p className="muted">{props.hint}</p>}
      {general.length > 0 && (
        <div role="alert" className="alert" id={`${props.name}-errors`}>
          {general.map((e, n) => (
            <p key={n}>{describe(e)}</p>
          ))}
        </div>
      )}
      {saved && errors.length === 0 && (
        <p role="status" className="ok" id={`${props.name}-saved`}>
          {props.saved}
        </p>
      )}
      {props.children(errors)}
      <button type="submit" className="primary" disabled={busy}>
        {props.button}
      </button>
    </form>
  );
}

