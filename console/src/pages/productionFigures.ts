// What the Production page works out from a work order as the API answers it: its yield, and
// a rate as a percentage in the console's language.

export interface WorkOrderRow {
  id: string;
  orderNo: string;
  item: { sku: string; name: string };
  quantity: number;
  completed: number;
  progress: number;
  status: string;
  warehouse: { id: string; name: string } | null;
  inspections: { inspected: number; defects: number }[];
}

/** Good units of all inspections over the units inspected; null before any inspection. */
export function yieldOf(inspections: { inspected: number; defects: number }[]): number | null {
  const inspected = inspections.reduce((sum, i) => sum + i.inspected, 0);
  if (inspected === 0) return null;
  return inspections.reduce((sum, i) => sum + i.inspected - i.defects, 0) / inspected;
}

export function percent(locale: string, rate: number | null): string {
  if (rate === null) return "—";
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(rate);
}
