// Small pieces the pages share: a status badge, a load failure, a money cell.
import { useI18n } from "./i18n";

export function StatusBadge({ status }: { status: string }) {
  const { code } = useI18n();
  return <span className={`badge badge-${status.toLowerCase()}`}>{code("status_", status)}</span>;
}

export function Failure({ message, retry }: { message: string; retry: () => void }) {
  const { t } = useI18n();
  return (
    <div role="alert" className="alert">
      <p>{t("errorLoading", { message })}</p>
      <button type="button" onClick={retry}>
        {t("retry")}
      </button>
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return <p role="status">{t("loading")}</p>;
}
