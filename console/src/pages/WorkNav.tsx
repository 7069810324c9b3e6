// The navigation entries of the work pages, each for the roles of the default policy that do
// that work (the API decides what each person may read and do there, whoever opens it).
import type { Me } from "../api";
import { onLinkClick, type WorkPage } from "../router";
import { useWorkText, type WorkKey } from "./workText";

const PAGES: readonly { page: WorkPage; roles: readonly string[]; label: WorkKey }[] = [
  { page: "sales", roles: ["sales"], label: "navSales" },
  { page: "warehouse", roles: ["procurement"], label: "navWarehouse" },
  { page: "production", roles: ["production"], label: "navProduction" },
  { page: "people", roles: ["hr"], label: "navPeople" },
];

export function WorkNav({ me, page }: { me: Me; page: string }) {
  const { t } = useWorkText();
  return (
    <>
      {PAGES.filter((entry) => entry.roles.some((role) => me.roles.includes(role))).map(
        (entry) => (
          <li key={entry.page}>
            <a href={`/${entry.page}`} onClick={onLinkClick}
              aria-current={page === entry.page ? "page" : undefined}>
              {t(entry.label)}
            </a>
          </li>
        ),
      )}
    </>
  );
}
