// Where keyboard focus goes when an opened record (a work order, a person) is closed: back to
// the button that opened it, so that keyboard and screen-reader users go on from there.

/** Focus the element ``selector`` finds, once React has removed the record. */
export function backTo(selector: string): void {
  window.requestAnimationFrame(() => document.querySelector<HTMLElement>(selector)?.focus());
}
