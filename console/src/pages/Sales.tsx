// The sales page: a placeholder until its work is built (see the README's console section).
import { useWorkText } from "./workText";

export default function Sales() {
  const { t } = useWorkText();
  return <h1>{t("navSales")}</h1>;
}
