// One employee opened on the People page: what HR sees of them, and HR's changes: name,
// e-mail and title (updateEmployee), a transfer (transferEmployee) and, after a confirmation,
// deactivation (deactivateEmployee). Each answer is the record shown from then on.
import { useEffect, useRef, useState } from "react";
import { ChoiceField } from "./ChoiceField";
import { Field } from "./Field";
import { mutate } from "./homeApi";
import { EMPLOYEE_FIELDS, salaryText, type Department, type Person } from "./peopleData";
import { usePeopleText } from "./peopleText";
import { StepForm, type Answer } from "./StepForm";

const UPDATE = `mutation ConsoleUpdateEmployee($id: ID!, $input: UpdateEmployeeInput!) {
  updateEmployee(id: $id, input: $input) { ${EMPLOYEE_FIELDS} }
}`;
const TRANSFER = `mutation ConsoleTransferEmployee($id: ID!, $departmentId: ID!) {
  transferEmployee(id: $id, departmentId: $departmentId) { ${EMPLOYEE_FIELDS} }
}`;
const DEACTIVATE = `mutation ConsoleDeactivateEmployee($id: ID!) {
  deactivateEmployee(id: $id) { ${EMPLOYEE_FIELDS} }
}`;

export function EmployeePanel(props: {
  person: Person;
  departments: Department[];
  onChanged: () => void;
  onClose: () => void;
}) {
  const { t, i18n } = usePeopleText();
  const [person, setPerson] = useState(props.person);
  const [edit, setEdit] = useState({
    name: props.person.name,
    email: props.person.email,
    title: props.person.title,
  });
  const [departmentId, setDepartmentId] = useState("");
  const [confirming, setConfirming] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  /** Send a change; its answer (the employee as stored now) is what the panel shows. */
  async function change(query: string, variables: Record<string, unknown>): Promise<Answer> {
    const answer = await mutate<Record<string, Person | null>>(query, {
      id: person.id,
      ...variables,
    });
    const changed = Object.values(answer.data ?? {})[0];
    if (changed) setPerson(changed);
    return answer;
  }

  return (
    <section aria-labelledby="person-title" className="card opened" id="person">
      <div className="heading-row">
        <h2 id="person-title" tabIndex={-1} ref={heading}>
          {t("personTitle", { name: person.name, number: person.employeeNo })}
        </h2>
        <button type="button" onClick={props.onClose}>
          {t("close")}
        </button>
      </div>
      <dl className="facts" id="person-facts">
        <dt>{t("colTitle")}</dt>
        <dd>{person.title}</dd>
        <dt>{t("colDepartment")}</dt>
        <dd id="person-department">{person.department.name}</dd>
        <dt>{t("colManager")}</dt>
        <dd>{person.manager?.name ?? t("noValue")}</dd>
        <dt>{t("colEmail")}</dt>
        <dd>{person.email}</dd>
        <dt>{t("colPhone")}</dt>
        <dd>{person.phone ?? t("noValue")}</dd>
        <dt>{t("colSalary")}</dt>
        <dd>{salaryText(person.salary, i18n) ?? t("noValue")}</dd>
        <dt>{t("colActive")}</dt>
        <dd id="person-active">
          <span className={`badge badge-${person.active ? "active" : "inactive"}`}>
            {t(person.active ? "active" : "inactive")}
          </span>
        </dd>
      </dl>
      {!person.active && (
        <p role="status" className="ok" id="person-deactivated">
          {t("deactivated", { name: person.name })}
        </p>
      )}
      {person.active && (
        <div className="side-by-side">
          <StepForm name="edit" title={t("editTitle")} button={t("saveButton")} saved={t("saved")}
            fields={["input", "input.name", "input.email", "input.title"]} done={props.onChanged}
            send={() => change(UPDATE, { input: edit })}>
            {(errors) => (
              <>
                <Field form="edit" label={t("name")} field="input.name" errors={errors}
                  value={edit.name} onValue={(name) => setEdit({ ...edit, name })}
                  autoComplete="off" />
                <Field form="edit" label={t("email")} field="input.email" errors={errors}
                  value={edit.email} onValue={(email) => setEdit({ ...edit, email })} type="email"
                  autoComplete="off" />
                <Field form="edit" label={t("jobTitle")} field="input.title" errors={errors}
                  value={edit.title} onValue={(title) => setEdit({ ...edit, title })}
                  autoComplete="off" />
              </>
            )}
          </StepForm>
          <div>
            <StepForm name="transfer" title={t("transferTitle")} hint={t("transferHint")}
              button={t("transferButton")}
              saved={t("transferred", { department: person.department.name })}
              fields={["departmentId"]} done={props.onChanged}
              send={() => change(TRANSFER, { departmentId })}>
              {(errors) => (
                <ChoiceField form="transfer" label={t("newDepartment")} field="departmentId"
                  errors={errors} value={departmentId} onValue={setDepartmentId}>
                  <option value="">{t("chooseDepartment")}</option>
                  {props.departments
                    .filter((d) => d.id !== person.department.id)
                    .map((d) => (
                      <option key={d.id} value={d.id}>{d.name}</option>
                    ))}
                </ChoiceField>
              )}
            </StepForm>
            <section aria-labelledby="deactivate-title" className="step">
              <h3 id="deactivate-title">{t("deactivateTitle")}</h3>
              <p className="muted">{t("deactivateHint")}</p>
              {!confirming && (
                <button type="button" onClick={() => setConfirming(true)}>
                  {t("deactivateButton", { name: person.name })}
                </button>
              )}
            </section>
            {confirming && (
              <StepForm name="deactivate" labelledBy="deactivate-confirm" fields={[]}
                button={t("confirmButton")} saved={t("deactivated", { name: person.name })}
                done={props.onChanged} send={() => change(DEACTIVATE, {})}>
                {() => (
                  <p id="deactivate-confirm" className="alert">
                    {t("confirmDeactivate", { name: person.name })}
                  </p>
                )}
              </StepForm>
            )}
            {confirming && (
              <button type="button" onClick={() => setConfirming(false)}>
                {t("cancel")}
              </button>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
