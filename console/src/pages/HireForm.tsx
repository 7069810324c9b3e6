// A new employee (createEmployee, HR's): name, e-mail address, title and department; OA gives
// the employee number, the line manager is the department's. Coded errors beside the inputs.
import { useState } from "react";
import { ChoiceField } from "./ChoiceField";
import { Field } from "./Field";
import { mutate } from "./homeApi";
import { EMPLOYEE_FIELDS, type Department, type Person } from "./peopleData";
import { usePeopleText } from "./peopleText";
import { StepForm } from "./StepForm";

const CREATE = `mutation ConsoleCreateEmployee($input: CreateEmployeeInput!) {
  createEmployee(input: $input) { ${EMPLOYEE_FIELDS} }
}`;
const EMPTY = { name: "", email: "", title: "", departmentId: "" };

export function HireForm(props: { departments: Department[]; onHired: (person: Person) => void }) {
  const { t } = usePeopleText();
  const [input, setInput] = useState(EMPTY);
  const [hired, setHired] = useState<Person | null>(null);
  const set = (change: Partial<typeof EMPTY>) => setInput((all) => ({ ...all, ...change }));

  async function send() {
    setHired(null);
    const answer = await mutate<{ createEmployee: Person | null }>(CREATE, { input });
    const person = answer.data?.createEmployee;
    if (person) {
      setHired(person);
      setInput(EMPTY);
      props.onHired(person);
    }
    return answer;
  }

  return (
    <section aria-labelledby="hire-section" className="card">
      <h2 id="hire-section">{t("hireTitle")}</h2>
      <p className="muted">{t("hireHint")}</p>
      <StepForm name="hire" labelledBy="hire-section" button={t("hireButton")} send={send}
        done={() => undefined}
        saved={hired ? t("hired", { name: hired.name, number: hired.employeeNo }) : t("saved")}
        fields={["input.name", "input.email", "input.title", "input.departmentId"]}>
        {(errors) => (
          <>
            <Field form="hire" label={t("name")} field="input.name" errors={errors}
              value={input.name} onValue={(name) => set({ name })} autoComplete="off" />
            <Field form="hire" label={t("email")} field="input.email" errors={errors}
              value={input.email} onValue={(email) => set({ email })} type="email"
              autoComplete="off" />
            <Field form="hire" label={t("jobTitle")} field="input.title" errors={errors}
              value={input.title} onValue={(title) => set({ title })} autoComplete="off" />
            <ChoiceField form="hire" label={t("department")} field="input.departmentId"
              errors={errors} value={input.departmentId}
              onValue={(departmentId) => set({ departmentId })}>
              <option value="">{t("chooseDepartment")}</option>
              {props.departments.map((d) => (
                <option key={d.id} value={d.id}>{d.name}</option>
              ))}
            </ChoiceField>
          </>
        )}
      </StepForm>
    </section>
  );
}
