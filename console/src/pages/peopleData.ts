// What the People page reads of an employee and a department, and how a salary reads: the
// policy gives HR salaries masked (their every character a star), shown as the API answers.
import type { Translator } from "../i18n";

export const EMPLOYEE_FIELDS = `id employeeNo name title email phone active
  department { id name } manager { name } salary { amount currency }`;

export interface Person {
  id: string;
  employeeNo: string;
  name: string;
  title: string;
  email: string;
  phone: string | null;
  active: boolean;
  department: { id: string; name: string };
  manager: { name: string } | null;
  salary: { amount: string; currency: string } | null;
}

export interface Department {
  id: string;
  code: string;
  name: string;
  active: boolean;
  parent: { name: string } | null;
  manager: { name: string } | null;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** The salary as money when the API gave a figure, else the masked text as it came; null:
 * none on record. */
export function salaryText(
  salary: { amount: string; currency: string } | null,
  i18n: Translator,
): string | null {
  if (!salary) return null;
  if (DECIMAL.test(salary.amount) && CURRENCY.test(salary.currency)) return i18n.money(salary);
  return salary.amount;
}
