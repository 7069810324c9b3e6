// Small pieces the pages share: a status badge, a load failure, a table's column headings, a
// wide table's scrolling region.
import type { ReactNode } from "react";
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

/** A table's header row: one column heading (`<th scope="col">`) per label, in order. */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((label, index) => (
          // a fixed row of headings: its order is its identity (two labels may read the same)
          <th scope="col" key={index}>
            {label}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/**
 * A wide table's box, scrolled sideways on a narrow screen: focusable so that a keyboard can
 * scroll it, a named region (named by the table's heading) so that a screen reader says what
 * it holds when it gets the focus.
 */
export function ScrollRegion(props: { labelledBy: string; children: ReactNode }) {
  const { labelledBy, children } = props;
  return (
    <div className="scroll" tabIndex={0} role="region" aria-labelledby={labelledBy}>
      {children}
    </div>
  );
}
