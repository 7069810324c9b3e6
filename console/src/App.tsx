// The frame of every page: landmarks (banner, navigation, main), a skip link, the language
// switch, who is signed in and sign-out; the page itself chosen by the route.
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { currentUser, type Me } from "./api";
import { I18n, initialLocale, LOCALES, saveLocale, translator, useI18n, type Locale } from "./i18n";
import { navigate, onLinkClick, useRoute, type Route } from "./router";
import { Approval } from "./pages/Approval";
import { Home } from "./pages/Home";
import { SignIn } from "./pages/SignIn";
import { AdminNav } from "./pages/AdminNav";
import { DashboardsNav } from "./pages/DashboardsNav";
import { WorkNav } from "./pages/WorkNav";

const Explorer = lazy(() => import("./pages/Explorer")); // GraphiQL: loaded on its page only
const Policy = lazy(() => import("./pages/Policy")); // the security team's
const Audit = lazy(() => import("./pages/Audit")); // the auditors'
const Dashboards = lazy(() => import("./pages/Dashboards")); // management and process figures
const WORK = { // each department's daily work
  sales: lazy(() => import("./pages/Sales")),
  warehouse: lazy(() => import("./pages/Warehouse")),
  production: lazy(() => import("./pages/Production")),
  people: lazy(() => import("./pages/People")),
};

type Session = { state: "loading" } | { state: "out" } | { state: "in"; me: Me };

export function App() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const i18n = useMemo(() => translator(locale), [locale]);
  const route = useRoute();
  const [session, setSession] = useState<Session>({ state: "loading" });

  useEffect(() => {
    document.documentElement.lang = locale;
    saveLocale(locale);
  }, [locale]);

  useEffect(() => {
    currentUser().then(
      (me) => setSession(me ? { state: "in", me } : { state: "out" }),
      () => setSession({ state: "out" }),
    );
  }, []);

  useEffect(() => {
    // Signed out on a page that needs a person: the sign-in page, coming back here after.
    if (session.state === "out" && route.page !== "signin") {
      const back = window.location.pathname + window.location.search;
      navigate(`/signin?return_to=${encodeURIComponent(back)}`);
    }
    // Signed in on the sign-in page (back button, a bookmark): Home.
    if (session.state === "in" && route.page === "signin") navigate("/");
  }, [session, route.page]);

  const { t } = i18n;
  return (
    <I18n.Provider value={i18n}>
      <a className="skip" href="#main">
        {t("skipToContent")}
      </a>
      <header className="top">
        <a className="brand" href="/" onClick={onLinkClick}>
          {t("appName")}
        </a>
        {session.state === "in" && (
          <nav aria-label={t("navMain")}>
            <ul>
              <li>
                <a href="/" onClick={onLinkClick} aria-current={route.page === "home" ? "page" : undefined}>
                  {t("navHome")}
                </a>
              </li>
              <li>
                <a
                  href="/explorer"
                  onClick={onLinkClick}
                  aria-current={route.page === "explorer" ? "page" : undefined}
                >
                  {t("navExplorer")}
                </a>
              </li>
              <DashboardsNav me={session.me} page={route.page} />
              <WorkNav me={session.me} page={route.page} />
              <AdminNav me={session.me} page={route.page} />
            </ul>
          </nav>
        )}
        <div className="tools">
          <label>
            <span>{t("language")}</span>{" "}
            <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
              {LOCALES.map((l) => (
                <option key={l} value={l} lang={l}>
                  {l === "en" ? "English" : "简体中文"}
                </option>
              ))}
            </select>
          </label>
          {session.state === "in" && (
            <form method="post" action="/auth/logout">
              <span className="who">{t("signedInAs", { name: session.me.name })}</span>{" "}
              <button type="submit">{t("signOut")}</button>
            </form>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1} className={route.page === "explorer" ? "wide" : undefined}>
        {session.state === "loading" ? (
          <p role="status">{t("loading")}</p>
        ) : (
          <Page route={route} me={session.state === "in" ? session.me : null} />
        )}
      </main>
    </I18n.Provider>
  );
}

function Page({ route, me }: { route: Route; me: Me | null }) {
  const { t } = useI18n();
  if (route.page === "signin" || me === null) return <SignIn />;
  switch (route.page) {
    case "home":
      return <Home me={me} />;
    case "approval":
      return <Approval id={route.id} />;
    case "explorer":
      return (
        <Suspense fallback={<p role="status">{t("loading")}</p>}>
          <Explorer />
        </Suspense>
      );
    case "policy":
    case "audit":
      return (
        <Suspense fallback={<p role="status">{t("loading")}</p>}>
          {route.page === "policy" ? <Policy /> : <Audit />}
        </Suspense>
      );
    case "dashboards":
      return (
        <Suspense fallback={<p role="status">{t("loading")}</p>}>
          <Dashboards />
        </Suspense>
      );
    case "sales":
    case "warehouse":
    case "production":
    case "people": {
      const Work = WORK[route.page];
      return (
        <Suspense fallback={<p role="status">{t("loading")}</p>}>
          <Work />
        </Suspense>
      );
    }
    default:
      return <h1>{t("notFound")}</h1>;
  }
}
