// The words the work pages share (their navigation entries, an order table's), in English and
// Simplified Chinese; each work page keeps its own words beside it (salesText.ts, ...), so that
// the shared catalogue (i18n.ts) stays small. The language is the console's (useI18n).
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

const orderEn = {
  colOrderNo: "Order",
  colLines: "Lines",
  colTotal: "Total",
  colStatus: "Status",
  colActions: "Actions",
  status_CLOSED: "Closed",
  status_CANCELLED: "Cancelled",
};

/** An order table's words, the same on Sales (sales orders) and Warehouse (purchase orders). */
export const ORDER_WORDS = {
  en: orderEn,
  zh: {
    colOrderNo: "订单",
    colLines: "明细",
    colTotal: "合计",
    colStatus: "状态",
    colActions: "操作",
    status_CLOSED: "已关闭",
    status_CANCELLED: "已取消",
  } satisfies Record<keyof typeof orderEn, string>,
};

export const useWorkText = pageText(en, zh);
