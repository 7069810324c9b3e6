// The words of the Sales page, in English and Simplified Chinese, kept beside it so that the
// shared catalogue (i18n.ts) stays small. The language is the console's (useI18n).
import { useI18n } from "../i18n";

const en = {
  salesTitle: "Sales",
  salesIntro: "Customers and their credit, sales orders from confirmation to shipment.",
  customersTitle: "Customers",
  customersEmpty: "No customers yet.",
  colCustomerNo: "Number",
  colCustomer: "Customer",
  colPhone: "Phone",
  colCreditLimit: "Credit limit",
  colOpenBalance: "Open balance",
  colAvailableCredit: "Available credit",
  ordersTitle: "Sales orders",
  ordersEmpty: "No sales orders yet.",
  ordersNewest: "The {count} newest, newest first.",
  colOrderNo: "Order",
  colLines: "Lines",
  colTotal: "Total",
  colStatus: "Status",
  colCreated: "Created",
  colShipped: "Shipped",
  colActions: "Actions",
  lineText: "{sku} × {quantity} from {warehouse}",
  ship: "Ship {order}",
  cancel: "Cancel {order}",
  shipShort: "Ship",
  cancelShort: "Cancel",
  moved: "{order} is now {status}.",
  newOrderTitle: "New sales order",
  newOrderHint:
    "Credit and stock are checked when the order is placed; the stock is reserved until it ships.",
  customer: "Customer",
  chooseCustomer: "Choose a customer",
  warehouse: "Warehouse",
  anyWarehouse: "The one with most available, per line",
  orderLine: "Line {number}",
  sku: "SKU",
  quantity: "Quantity",
  unitPrice: "Unit price ({currency}, empty: list price)",
  addLine: "Add a line",
  placeOrder: "Place order",
  orderPlaced: "Placed {order}: {total}, {status}.",
  newCustomerTitle: "New customer",
  customerName: "Name",
  customerPhone: "Phone",
  creditLimit: "Credit limit ({currency})",
  createCustomer: "Add customer",
  customerCreated: "Added {customer} ({number}).",
  status_CONFIRMED: "Confirmed",
  status_SHIPPED: "Shipped",
  status_CLOSED: "Closed",
  status_CANCELLED: "Cancelled",
};

export type SalesKey = keyof typeof en;

const zh: Record<SalesKey, string> = {
  salesTitle: "销售",
  salesIntro: "客户及其信用额度，销售订单从确认到发货。",
  customersTitle: "客户",
  customersEmpty: "还没有客户。",
  colCustomerNo: "编号",
  colCustomer: "客户",
  colPhone: "电话",
  colCreditLimit: "信用额度",
  colOpenBalance: "未结余额",
  colAvailableCredit: "可用额度",
  ordersTitle: "销售订单",
  ordersEmpty: "还没有销售订单。",
  ordersNewest: "最新的 {count} 张，按时间倒序。",
  colOrderNo: "订单",
  colLines: "明细",
  colTotal: "合计",
  colStatus: "状态",
  colCreated: "创建时间",
  colShipped: "发货时间",
  colActions: "操作",
  lineText: "{sku} × {quantity}，出自 {warehouse}",
  ship: "发货 {order}",
  cancel: "取消 {order}",
  shipShort: "发货",
  cancelShort: "取消",
  moved: "{order} 现为{status}。",
  newOrderTitle: "新建销售订单",
  newOrderHint: "下单时检查信用额度和库存；库存在发货前保留。",
  customer: "客户",
  chooseCustomer: "选择客户",
  warehouse: "仓库",
  anyWarehouse: "每行取可用量最多的仓库",
  orderLine: "第 {number} 行",
  sku: "物料编码",
  quantity: "数量",
  unitPrice: "单价（{currency}，留空为标价）",
  addLine: "添加一行",
  placeOrder: "下单",
  orderPlaced: "已下单 {order}：{total}，{status}。",
  newCustomerTitle: "新建客户",
  customerName: "名称",
  customerPhone: "电话",
  creditLimit: "信用额度（{currency}）",
  createCustomer: "添加客户",
  customerCreated: "已添加 {customer}（{number}）。",
  status_CONFIRMED: "已确认",
  status_SHIPPED: "已发货",
  status_CLOSED: "已关闭",
  status_CANCELLED: "已取消",
};

export function useSalesText() {
  const i18n = useI18n();
  const messages: Record<SalesKey, string> = i18n.locale === "zh-CN" ? zh : en;
  return {
    t(key: SalesKey, values?: Record<string, string>): string {
      let text = messages[key];
      for (const [name, value] of Object.entries(values ?? {})) {
        text = text.replaceAll(`{${name}}`, value);
      }
      return text;
    },
    /** A sales order's status in words (the code itself when unknown). */
    status(code: string): string {
      const key = `status_${code}`;
      return key in messages ? messages[key as SalesKey] : code;
    },
    i18n,
  };
}
