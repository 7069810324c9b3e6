// A small history router: the console's pages are the paths the gateway serves the app at
// (CLIENT_ROUTES in gateway/http/console.py): /, /signin, /explorer, /approvals/<id>,
// /policy, /audit, /dashboards, and the work pages /sales, /warehouse, /production, /people.
import { useEffect, useState } from "react";

export type Route =
  | { page: "home" }
  | { page: "signin" }
  | { page: "explorer" }
  | { page: "approval"; id: string }
  | { page: "policy" }
  | { page: "audit" }
  | { page: "dashboards" }
  | { page: WorkPage }
  | { page: "notFound" };

/** The pages of a department's daily work (WorkNav shows each to the roles it is for). */
export const WORK_PAGES = ["sales", "warehouse", "production", "people"] as const;
export type WorkPage = (typeof WORK_PAGES)[number];

export function parse(pathname: string): Route {
  if (pathname === "/" || pathname === "") return { page: "home" };
  if (pathname === "/signin") return { page: "signin" };
  if (pathname === "/explorer") return { page: "explorer" };
  if (pathname === "/policy") return { page: "policy" };
  if (pathname === "/audit") return { page: "audit" };
  if (pathname === "/dashboards") return { page: "dashboards" };
  const work = WORK_PAGES.find((page) => pathname === `/${page}`);
  if (work) return { page: work };
  const approval = /^\/approvals\/([^/]+)$/.exec(pathname);
  if (approval) return { page: "approval", id: decodeURIComponent(approval[1]) };
  return { page: "notFound" };
}

export function navigate(to: string): void {
  window.history.pushState(null, "", to);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** The current route, following links and the back button. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parse(window.location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}

/** A click on an in-app link navigates without a reload (modified clicks open as usual). */
export function onLinkClick(event: React.MouseEvent<HTMLAnchorElement>): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  navigate(event.currentTarget.getAttribute("href") ?? "/");
}
