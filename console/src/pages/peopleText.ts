// The words of the People page (employees, departments, hiring, changes), in English and
// Simplified Chinese; kept beside the page so that the shared catalogue (i18n.ts) stays small.
import { useI18n } from "../i18n";

const en = {
  title: "People",
  employeesTitle: "Employees",
  search: "Search (name, e-mail or employee number)",
  department: "Department",
  allDepartments: "All departments",
  searchButton: "Search",
  employeesEmpty: "No active employee matches.",
  colNumber: "Employee no.",
  colName: "Name",
  colTitle: "Title",
  colDepartment: "Department",
  colManager: "Manager",
  colEmail: "E-mail",
  colPhone: "Phone",
  colSalary: "Monthly salary",
  open: "Open {name}",
  previous: "Previous page",
  next: "Next page",
  page: "Page {number}",
  departmentsTitle: "Departments",
  colCode: "Code",
  colParent: "Part of",
  colActive: "Status",
  active: "Active",
  inactive: "Inactive",
  hireTitle: "New employee",
  hireHint: "The employee number is given when the employee is created; the line manager is the department's manager.",
  name: "Name",
  email: "E-mail",
  jobTitle: "Title",
  chooseDepartment: "Choose a department",
  hireButton: "Create employee",
  hired: "Created: {name} ({number}).",
  personTitle: "{name} ({number})",
  close: "Close",
  editTitle: "Name, e-mail and title",
  saveButton: "Save changes",
  saved: "Saved.",
  transferTitle: "Transfer",
  transferHint: "The line manager becomes the new department's manager.",
  newDepartment: "New department",
  transferButton: "Transfer",
  transferred: "Transferred to {department}.",
  deactivateTitle: "Deactivate",
  deactivateHint: "No more sign-in or approvals; pending approval steps and direct reports move to the manager.",
  deactivateButton: "Deactivate {name}",
  confirmDeactivate: "Deactivate {name} now?",
  confirmButton: "Yes, deactivate",
  cancel: "Cancel",
  deactivated: "{name} is deactivated.",
  noValue: "—",
};

export type PeopleKey = keyof typeof en;

const zh: Record<PeopleKey, string> = {
  title: "人员",
  employeesTitle: "员工",
  search: "搜索（姓名、邮箱或工号）",
  department: "部门",
  allDepartments: "全部部门",
  searchButton: "搜索",
  employeesEmpty: "没有符合条件的在职员工。",
  colNumber: "工号",
  colName: "姓名",
  colTitle: "职位",
  colDepartment: "部门",
  colManager: "直属上级",
  colEmail: "邮箱",
  colPhone: "电话",
  colSalary: "月薪",
  open: "打开 {name}",
  previous: "上一页",
  next: "下一页",
  page: "第 {number} 页",
  departmentsTitle: "部门",
  colCode: "代码",
  colParent: "上级部门",
  colActive: "状态",
  active: "启用",
  inactive: "停用",
  hireTitle: "新员工",
  hireHint: "创建员工时分配工号；直属上级为所在部门的负责人。",
  name: "姓名",
  email: "邮箱",
  jobTitle: "职位",
  chooseDepartment: "选择部门",
  hireButton: "创建员工",
  hired: "已创建：{name}（{number}）。",
  personTitle: "{name}（{number}）",
  close: "关闭",
  editTitle: "姓名、邮箱和职位",
  saveButton: "保存修改",
  saved: "已保存。",
  transferTitle: "调动",
  transferHint: "直属上级变为新部门的负责人。",
  newDepartment: "新部门",
  transferButton: "调动",
  transferred: "已调至 {department}。",
  deactivateTitle: "停用",
  deactivateHint: "停用后不能登录或审批；待办审批和直接下属转给其上级。",
  deactivateButton: "停用 {name}",
  confirmDeactivate: "现在停用 {name}？",
  confirmButton: "确认停用",
  cancel: "取消",
  deactivated: "{name} 已停用。",
  noValue: "—",
};

/** ``t`` for the People page, in the console's language. */
export function usePeopleText() {
  const i18n = useI18n();
  const messages: Record<PeopleKey, string> = i18n.locale === "zh-CN" ? zh : en;
  const t = (key: PeopleKey, values?: Record<string, string | number>): string => {
    let text = messages[key];
    for (const [name, value] of Object.entries(values ?? {})) {
      text = text.replaceAll(`{${name}}`, String(value));
    }
    return text;
  };
  return { t, i18n };
}
