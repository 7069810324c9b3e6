// The production page: a placeholder until its work is built (see the README's console section).
import { useWorkText } from "./workText";

export default function Production() {
  const { t } = useWorkText();
  return <h1>{t("navProduction")}</h1>;
}
