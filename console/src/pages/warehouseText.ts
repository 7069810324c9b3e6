// The words of the Warehouse page, in English and Simplified Chinese, kept beside it so that
// the shared catalogue (i18n.ts) stays small. The language is the console's (useI18n).
import { useI18n } from "../i18n";

const en = {
  warehouseTitle: "Warehouse",
  warehouseIntro:
    "Stock on hand per warehouse, open purchase orders to send and receive, stock counts.",
  stockTitle: "Stock",
  stockCaption: "Units on hand per warehouse; available: on hand and not reserved, all warehouses.",
  stockMore: "The first {count} items by SKU.",
  belowCount: "{count} items are below their reorder level.",
  noneBelow: "No item is below its reorder level.",
  colSku: "SKU",
  colItem: "Item",
  colAvailable: "Available",
  colReorderLevel: "Reorder level",
  colAlert: "Reorder",
  belowBadge: "Below reorder level",
  noItems: "No items.",
  ordersTitle: "Open purchase orders",
  ordersEmpty: "No purchase order is waiting to be sent or received.",
  colOrderNo: "Order",
  colSupplier: "Supplier",
  colLines: "Lines",
  colTotal: "Total",
  colRequestedBy: "Requested by",
  colStatus: "Status",
  colActions: "Actions",
  payTo: "Paid to {account}",
  lineText: "{sku} × {quantity}",
  send: "Send {order}",
  sendShort: "Send",
  receiveInto: "Receive {order} into",
  chooseWarehouse: "Choose a warehouse",
  receive: "Receive",
  sent: "{order} is now Sent.",
  received: "{order} received into {warehouse}.",
  adjustTitle: "Adjust stock",
  adjustHint: "A count, a loss or a correction: a positive quantity adds units, a negative one removes them.",
  sku: "SKU",
  warehouse: "Warehouse",
  quantity: "Quantity (+/-)",
  reason: "Reason",
  adjust: "Adjust",
  adjusted: "{sku} in {warehouse}: {quantity} on hand.",
  status_CREATED: "Created",
  status_SENT: "Sent",
  status_RECEIVED: "Received",
  status_CLOSED: "Closed",
  status_CANCELLED: "Cancelled",
};

export type WarehouseKey = keyof typeof en;

const zh: Record<WarehouseKey, string> = {
  warehouseTitle: "仓库",
  warehouseIntro: "各仓库的现有库存，待发送和待收货的采购订单，库存盘点。",
  stockTitle: "库存",
  stockCaption: "各仓库的现有数量；可用：现有且未预留的数量，所有仓库合计。",
  stockMore: "按物料编码的前 {count} 项。",
  belowCount: "{count} 项物料低于再订货点。",
  noneBelow: "没有物料低于再订货点。",
  colSku: "物料编码",
  colItem: "物料",
  colAvailable: "可用",
  colReorderLevel: "再订货点",
  colAlert: "补货",
  belowBadge: "低于再订货点",
  noItems: "没有物料。",
  ordersTitle: "未完成的采购订单",
  ordersEmpty: "没有待发送或待收货的采购订单。",
  colOrderNo: "订单",
  colSupplier: "供应商",
  colLines: "明细",
  colTotal: "合计",
  colRequestedBy: "申请人",
  colStatus: "状态",
  colActions: "操作",
  payTo: "付款账户 {account}",
  lineText: "{sku} × {quantity}",
  send: "发送 {order}",
  sendShort: "发送",
  receiveInto: "{order} 收货入库至",
  chooseWarehouse: "选择仓库",
  receive: "收货",
  sent: "{order} 已发送。",
  received: "{order} 已收货入库至 {warehouse}。",
  adjustTitle: "库存调整",
  adjustHint: "盘点、损耗或更正：正数增加，负数减少。",
  sku: "物料编码",
  warehouse: "仓库",
  quantity: "数量（+/-）",
  reason: "原因",
  adjust: "调整",
  adjusted: "{sku} 在 {warehouse}：现有 {quantity}。",
  status_CREATED: "已创建",
  status_SENT: "已发送",
  status_RECEIVED: "已收货",
  status_CLOSED: "已关闭",
  status_CANCELLED: "已取消",
};

export function useWarehouseText() {
  const i18n = useI18n();
  const messages: Record<WarehouseKey, string> = i18n.locale === "zh-CN" ? zh : en;
  return {
    t(key: WarehouseKey, values?: Record<string, string>): string {
      let text = messages[key];
      for (const [name, value] of Object.entries(values ?? {})) {
        text = text.replaceAll(`{${name}}`, value);
      }
      return text;
    },
    /** A purchase order's status in words (the code itself when unknown). */
    status(code: string): string {
      const key = `status_${code}`;
      return key in messages ? messages[key as WarehouseKey] : code;
    },
    i18n,
  };
}
