// The People page's departments: every one (a company has few, the API answers them at once),
// narrowed as HR types by a part of their code or name.
import { useState } from "react";
import { Failure, Loading, ScrollRegion, TableHead } from "../components";
import type { Department } from "./peopleData";
import { usePeopleText } from "./peopleText";

/** The departments whose code or name holds ``text`` (any case); all of them for none. */
export function matching(departments: Department[], text: string): Department[] {
  const wanted = text.trim().toLocaleLowerCase();
  if (!wanted) return departments;
  return departments.filter((d) =>
    [d.code, d.name].some((value) => value.toLocaleLowerCase().includes(wanted)),
  );
}

export function DepartmentList(props: {
  departments: Department[];
  loading: boolean;
  failure: string | null;
  retry: () => void;
}) {
  const { t } = usePeopleText();
  const [text, setText] = useState("");
  const shown = matching(props.departments, text);
  return (
    <section aria-labelledby="departments-title" className="card">
      <h2 id="departments-title">{t("departmentsTitle")}</h2>
      <div className="field">
        <label htmlFor="departments-filter">{t("departmentsFilter")}</label>
        <input id="departments-filter" type="search" value={text} autoComplete="off"
          aria-controls="departments" onChange={(e) => setText(e.target.value)} />
      </div>
      {props.failure && <Failure message={props.failure} retry={props.retry} />}
      {props.loading ? (
        <Loading />
      ) : shown.length === 0 ? (
        <p id="departments-empty">{t("departmentsEmpty")}</p>
      ) : (
        <ScrollRegion labelledBy="departments-title">
          <table id="departments">
            <TableHead columns={[t("colCode"), t("colName"), t("colParent"), t("colManager"),
              t("colActive")]} />
            <tbody>
              {shown.map((d) => (
                <tr key={d.id} data-department-id={d.id}>
                  <th scope="row">{d.code}</th>
                  <td>{d.name}</td>
                  <td>{d.parent?.name ?? t("noValue")}</td>
                  <td>{d.manager?.name ?? t("noValue")}</td>
                  <td>
                    <span className={`badge badge-${d.active ? "active" : "inactive"}`}>
                      {t(d.active ? "active" : "inactive")}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
