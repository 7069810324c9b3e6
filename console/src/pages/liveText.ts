// The words of Home's live updates (subscriptions, or polling when they are unavailable), in
// English and Simplified Chinese, in the console's language (useI18n).
import { pageText } from "../i18n";

const en = {
  liveOn: "Live: changes appear as they happen.",
  liveOff:
    "Live updates are not available just now, so this page checks for changes every {seconds} seconds.",
};
type LiveKey = keyof typeof en;
const zh: Record<LiveKey, string> = {
  liveOn: "实时：变化发生时即显示。",
  liveOff: "实时更新暂不可用，本页每 {seconds} 秒检查一次变化。",
};

const useLiveWords = pageText(en, zh);

/** ``t`` for Home's live status, in the console's language. */
export function useLiveText(): (key: LiveKey, values?: Record<string, string | number>) => string {
  return useLiveWords().t;
}
