// The navigation entry of the dashboards, for the roles the default policy gives figures
// there (the API decides what each person sees on the page, whoever opens it).
import type { Me } from "../api";
import { onLinkClick } from "../router";
import { useHomeText } from "./homeText";

const ROLES = ["manager", "finance", "auditor", "sales", "production", "procurement"];

export function DashboardsNav({ me, page }: { me: Me; page: string }) {
  const { t } = useHomeText();
  if (!ROLES.some((role) => me.roles.includes(role))) return null;
  return (
    <li>
      <a href="/dashboards" onClick={onLinkClick}
        aria-current={page === "dashboards" ? "page" : undefined}>
        {t("navDashboards")}
      </a>
    </li>
  );
}
