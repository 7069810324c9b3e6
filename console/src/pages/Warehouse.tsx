// The warehouse page: a placeholder until its work is built (see the README's console section).
import { useWorkText } from "./workText";

export default function Warehouse() {
  const { t } = useWorkText();
  return <h1>{t("navWarehouse")}</h1>;
}
