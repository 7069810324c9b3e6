// The words the work pages share (their navigation entries), in English and Simplified
// Chinese; each work page keeps its own words beside it (salesText.ts, ...), so that the
// shared catalogue (i18n.ts) stays small. The language is the console's (useI18n).
import { pageText } from "../i18n";

const en = {
  navSales: "Sales",
  navWarehouse: "Warehouse",
  navProduction: "Production",
  navPeople: "People",
};

export type WorkKey = keyof typeof en;

const zh: Record<WorkKey, string> = {
  navSales: "销售",
  navWarehouse: "仓库",
  navProduction: "生产",
  navPeople: "人员",
};

export const useWorkText = pageText(en, zh);
