// The warehouse page, for Procurement and Logistics: stock on hand per warehouse with the
// items below their reorder level marked, the open purchase orders (send a created one,
// receive a sent one into a warehouse: its lines' quantities enter the stock shown), and a
// stock adjustment. Everything goes through the public API, so the policy decides what shows
// (a supplier's bank account comes masked to Procurement).
import { useEffect } from "react";
import { Failure, Loading, ScrollRegion } from "../components";
import { useQuery } from "../useQuery";
import { AdjustForm, OpenOrders, type PurchaseOrder } from "./WarehouseOrders";
import { useWarehouseText } from "./warehouseText";
import "./home.css";
import "./orders.css";

export interface Place {
  id: string;
  code: string;
  name: string;
}
interface Item {
  sku: string;
  name: string;
  reorderLevel: number | null;
  stockLevels: { warehouse: { id: string }; quantity: number; available: number }[];
}
type Page<T> = { edges: { node: T }[] } | null;
interface WarehouseData {
  warehouses: Page<Place>;
  items: (Page<Item> & { pageInfo: { hasNextPage: boolean } }) | null;
  created: Page<PurchaseOrder>;
  sent: Page<PurchaseOrder>;
}

export const ITEMS_SHOWN = 100;
const ORDER = `{ id orderNo status total { amount currency } supplier { name bankAccount }
  requestedBy { name } lines { item { sku } quantity } }`;
const WAREHOUSE = `query ConsoleWarehouse($items: Int!) {
  warehouses(first: 50) { edges { node { id code name } } }
  items(first: $items) {
    edges { node { sku name reorderLevel stockLevels { warehouse { id } quantity available } } }
    pageInfo { hasNextPage }
  }
  created: purchaseOrders(filter: { status: CREATED }, first: 50) { edges { node ${ORDER} } }
  sent: purchaseOrders(filter: { status: SENT }, first: 50) { edges { node ${ORDER} } }
}`;

/** Units on hand and not reserved, every warehouse: Item.available, summed here from the
 * levels already asked for (asking the field too costs the ERP a second look per item). */
function available(item: Item): number {
  return item.stockLevels.reduce((sum, level) => sum + level.available, 0);
}

/** Fewer units available than the item's reorder level (itemsBelowReorderLevel's rule). */
function below(item: Item): boolean {
  return item.reorderLevel !== null && available(item) < item.reorderLevel;
}

export default function Warehouse() {
  const { t, i18n } = useWarehouseText();
  const stock = useQuery<WarehouseData>(WAREHOUSE, { items: ITEMS_SHOWN });
  const title = `${t("warehouseTitle")} · ${i18n.t("appName")}`;
  useEffect(() => {
    document.title = title;
  }, [title]);
  const places = stock.data?.warehouses?.edges.map((e) => e.node) ?? [];
  const orders = [
    ...(stock.data?.sent?.edges.map((e) => e.node) ?? []),
    ...(stock.data?.created?.edges.map((e) => e.node) ?? []),
  ];

  return (
    <>
      <h1>{t("warehouseTitle")}</h1>
      <p className="muted">{t("warehouseIntro")}</p>
      {stock.failure && <Failure message={stock.failure} retry={stock.reload} />}
      <section aria-labelledby="open-orders-title" className="card work">
        <h2 id="open-orders-title">{t("ordersTitle")}</h2>
        {stock.loading ? (
          <Loading />
        ) : (
          <OpenOrders orders={orders} places={places} moved={stock.reload} />
        )}
      </section>
      <section aria-labelledby="stock-title" className="card work">
        <h2 id="stock-title">{t("stockTitle")}</h2>
        {stock.loading ? (
          <Loading />
        ) : (
          <Stock
            items={stock.data?.items?.edges.map((e) => e.node) ?? []}
            more={stock.data?.items?.pageInfo.hasNextPage ?? false}
            places={places}
          />
        )}
      </section>
      {!stock.loading && <AdjustForm places={places} adjusted={stock.reload} />}
    </>
  );
}

function Stock({ items, more, places }: { items: Item[]; more: boolean; places: Place[] }) {
  const { t, i18n } = useWarehouseText();
  if (items.length === 0) return <p>{t("noItems")}</p>;
  const flagged = items.filter(below).length;
  return (
    <>
      <p id="below-count" className={flagged ? "alert" : "ok"}>
        {flagged
          ? t("belowCount", { count: i18n.number(flagged) })
          : t("noneBelow")}
      </p>
      {more && <p className="muted">{t("stockMore", { count: String(ITEMS_SHOWN) })}</p>}
      <ScrollRegion labelledBy="stock-title">
        <table id="stock">
          <caption className="muted">{t("stockCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("colSku")}</th>
              <th scope="col">{t("colItem")}</th>
              {places.map((place) => (
                <th scope="col" className="num" key={place.id} data-warehouse-id={place.id}>
                  <abbr title={place.name}>{place.code}</abbr>
                </th>
              ))}
              <th scope="col" className="num">{t("colAvailable")}</th>
              <th scope="col" className="num">{t("colReorderLevel")}</th>
              <th scope="col">{t("colAlert")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => {
              const low = below(item);
              return (
                <tr key={item.sku} data-sku={item.sku} className={low ? "below" : undefined}>
                  <th scope="row">{item.sku}</th>
                  <td>{item.name}</td>
                  {places.map((place) => {
                    const level = item.stockLevels.find((l) => l.warehouse.id === place.id);
                    return (
                      <td className="num" key={place.id} data-warehouse-id={place.id}>
                        {level ? i18n.number(level.quantity) : "—"}
                      </td>
                    );
                  })}
                  <td className="num">{i18n.number(available(item))}</td>
                  <td className="num">
                    {item.reorderLevel === null ? "—" : i18n.number(item.reorderLevel)}
                  </td>
                  <td>{low && <span className="badge badge-below">{t("belowBadge")}</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollRegion>
    </>
  );
}
