// HR's page: the active employees, searched by name, e-mail or number and by department, a
// page at a time; the departments; a new employee (HireForm); one employee opened to change,
// transfer or deactivate (EmployeePanel). Everything through the public API: what HR sees of
// pay is what the policy gives the hr role (salaries masked), never more.
import { useEffect, useState, type FormEvent } from "react";
import { Failure, Loading, ScrollRegion, TableHead } from "../components";
import { useQuery } from "../useQuery";
import { DepartmentList } from "./DepartmentList";
import { EmployeePanel } from "./EmployeePanel";
import { backTo } from "./focus";
import { HireForm } from "./HireForm";
import "./home.css";
import { EMPLOYEE_FIELDS, salaryText, type Department, type Person } from "./peopleData";
import { usePeopleText } from "./peopleText";
import "./production.css";

export const PAGE_SIZE = 25;
const EMPLOYEES = `query ConsoleEmployees($filter: EmployeeFilter, $first: Int!, $after: String) {
  employees(filter: $filter, first: $first, after: $after) {
    edges { node { ${EMPLOYEE_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const DEPARTMENTS = `query ConsoleDepartments {
  departments { id code name active parent { name } manager { name } }
}`;

interface EmployeesData {
  employees: {
    edges: { node: Person }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  } | null;
}

export default function People() {
  const { t, i18n } = usePeopleText();
  const [search, setSearch] = useState("");
  const [department, setDepartment] = useState("");
  const [filter, setFilter] = useState<{ search?: string; departmentId?: string }>({});
  const [cursors, setCursors] = useState<string[]>([]); // the after of each page up to this one
  const after = cursors.length > 0 ? cursors[cursors.length - 1] : null;
  const employees = useQuery<EmployeesData>(EMPLOYEES, { filter, first: PAGE_SIZE, after });
  const departments = useQuery<{ departments: Department[] | null }>(DEPARTMENTS, {});
  const [opened, setOpened] = useState<Person | null>(null);
  useEffect(() => {
    document.title = `${t("title")} · ${i18n.t("appName")}`;
  }, [t, i18n]);

  const list = employees.data?.employees?.edges.map((e) => e.node) ?? [];
  const pageInfo = employees.data?.employees?.pageInfo;
  const next = pageInfo?.hasNextPage ? pageInfo.endCursor : null;
  const allDepartments = departments.data?.departments ?? [];
  const activeDepartments = allDepartments.filter((d) => d.active);

  function find(event: FormEvent) {
    event.preventDefault();
    const wanted: { search?: string; departmentId?: string } = {};
    if (search.trim()) wanted.search = search.trim();
    if (department) wanted.departmentId = department;
    setFilter(wanted);
    setCursors([]);
  }
  function changed() {
    employees.reload();
    departments.reload();
  }

  return (
    <>
      <h1>{t("title")}</h1>
      <section aria-labelledby="employees-title" className="card">
        <h2 id="employees-title">{t("employeesTitle")}</h2>
        <form className="search" role="search" onSubmit={find} aria-labelledby="employees-title">
          <div className="field">
            <label htmlFor="people-search">{t("search")}</label>
            <input id="people-search" type="search" value={search} autoComplete="off"
              onChange={(e) => setSearch(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="people-department">{t("department")}</label>
            <select id="people-department" value={department}
              onChange={(e) => setDepartment(e.target.value)}>
              <option value="">{t("allDepartments")}</option>
              {activeDepartments.map((d) => (
                <option key={d.id} value={d.id}>{d.name}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <button type="submit" className="primary">{t("searchButton")}</button>
          </div>
        </form>
        {employees.failure && <Failure message={employees.failure} retry={employees.reload} />}
        {employees.loading ? (
          <Loading />
        ) : list.length === 0 ? (
          <p id="employees-empty">{t("employeesEmpty")}</p>
        ) : (
          <ScrollRegion labelledBy="employees-title">
            <table id="employees">
              <TableHead columns={[t("colNumber"), t("colName"), t("colTitle"), t("colDepartment"),
                t("colManager"), t("colEmail"), t("colPhone"), t("colSalary")]} />
              <tbody>
                {list.map((p) => (
                  <tr key={p.id} data-employee-id={p.id}
                    className={opened?.id === p.id ? "chosen" : undefined}>
                    <th scope="row">{p.employeeNo}</th>
                    <td>
                      <button type="button" className="link" aria-controls="person"
                        aria-expanded={opened?.id === p.id} onClick={() => setOpened(p)}>
                        {p.name}
                      </button>
                    </td>
                    <td>{p.title}</td>
                    <td>{p.department.name}</td>
                    <td>{p.manager?.name ?? t("noValue")}</td>
                    <td>{p.email}</td>
                    <td className="nowrap">{p.phone ?? t("noValue")}</td>
                    <td className="num">{salaryText(p.salary, i18n) ?? t("noValue")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
        <div className="actions pager">
          <button type="button" disabled={cursors.length === 0}
            onClick={() => setCursors((all) => all.slice(0, -1))}>
            {t("previous")}
          </button>
          <span className="muted" aria-live="polite">
            {t("page", { number: cursors.length + 1 })}
          </span>
          <button type="button" disabled={!next}
            onClick={() => next && setCursors((all) => [...all, next])}>
            {t("next")}
          </button>
        </div>
      </section>
      {opened && (
        <EmployeePanel key={opened.id} person={opened} departments={activeDepartments}
          onChanged={changed} onClose={() => {
            setOpened(null);
            backTo(`#employees tr[data-employee-id="${opened.id}"] button`);
          }} />
      )}
      <div className="grid work-grid">
        <HireForm departments={activeDepartments} onHired={(person) => {
          changed();
          setOpened(person);
        }} />
        <DepartmentList departments={allDepartments} loading={departments.loading}
          failure={departments.failure} retry={departments.reload} />
      </div>
    </>
  );
}
