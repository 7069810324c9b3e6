// The sign-in page: the gateway's login (OpenID Connect at the company's provider) does the
// rest and brings the browser back to the page it came from.
import { useEffect } from "react";
import { signInUrl } from "../api";
import { useI18n } from "../i18n";

export function SignIn() {
  const { t } = useI18n();
  const params = new URLSearchParams(window.location.search);
  const wanted = params.get("return_to") ?? "/";
  const returnTo = wanted.startsWith("/") && !wanted.startsWith("//") ? wanted : "/";
  useEffect(() => {
    document.title = `${t("signInTitle")}`;
  }, [t]);
  return (
    <section className="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">{t("signInTitle")}</h1>
      <p>{t("signInIntro")}</p>
      <a className="button primary" href={signInUrl(returnTo === "/signin" ? "/" : returnTo)}>
        {t("signInButton")}
      </a>
    </section>
  );
}
