// The people page: a placeholder until its work is built (see the README's console section).
import { useWorkText } from "./workText";

export default function People() {
  const { t } = useWorkText();
  return <h1>{t("navPeople")}</h1>;
}
