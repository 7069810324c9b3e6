// CSV for the auditors' exports (RFC 4180: quoted where needed, CRLF between rows), and its
// download from the browser without a round trip.

/** One field: quoted when it holds a comma, a quote or a line break; formulas defused. */
export function csvField(value: unknown): string {
  let text = value == null ? "" : String(value);
  // a cell starting with = + @ (or - and no number) is a formula to a spreadsheet: as text
  if (/^[=+@]/.test(text) || /^-[^0-9.]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** Offer ``text`` as a file named ``name`` (UTF-8 with a byte order mark, for spreadsheets). */
export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}
