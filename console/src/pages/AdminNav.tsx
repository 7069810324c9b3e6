// The navigation entries of the security team's and the auditors' pages, for those whose
// roles use them (the admin APIs decide what they may do there, whoever opens them).
import type { Me } from "../api";
import { onLinkClick } from "../router";
import { useAdminText } from "./adminText";

const PAGES = [
  { page: "policy", href: "/policy", label: "navPolicy", roles: ["security_admin", "auditor"] },
  { page: "audit", href: "/audit", label: "navAudit", roles: ["auditor", "security_admin"] },
] as const;

export function AdminNav({ me, page }: { me: Me; page: string }) {
  const { t } = useAdminText();
  return (
    <>
      {PAGES.filter((p) => p.roles.some((role) => me.roles.includes(role))).map((p) => (
        <li key={p.page}>
          <a href={p.href} onClick={onLinkClick} aria-current={page === p.page ? "page" : undefined}>
            {t(p.label)}
          </a>
        </li>
      ))}
    </>
  );
}
