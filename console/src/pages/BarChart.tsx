// A small horizontal bar chart in SVG, written here (no chart library): one group of bars per
// row, one bar per series, each scaled to the largest value. The picture is hidden from
// screen readers; the table beside it (visible too) is its text alternative with the figures.
import { useHomeText } from "./homeText";

export interface ChartRow {
  label: string;
  /** One value per series; null: no figure (nothing drawn, "—" in the table). */
  values: (number | null)[];
  /** The values as the table shows them (formatted for the locale). */
  texts: string[];
}

const BAR = 14;
const GAP = 4;
const LABEL = 140;
const WIDTH = 520;
const COLOURS = ["#1d4ed8", "#f59e0b", "#166534", "#b91c1c"];

export function BarChart({
  id,
  caption,
  series,
  rows,
  drawn = series.length,
}: {
  id: string;
  caption: string;
  series: string[];
  rows: ChartRow[];
  /** How many of the series (the first ones) are drawn; the others are in the table only. */
  drawn?: number;
}) {
  const { t } = useHomeText();
  if (rows.length === 0) return <p id={id}>{t("noFigures")}</p>;
  const top = Math.max(...rows.flatMap((r) => r.values.slice(0, drawn).map((v) => (v == null ? 0 : v))), 0);
  const group = drawn * BAR + (drawn - 1) * GAP + 12;
  const height = rows.length * group + 24;
  const scale = (value: number) => (top > 0 ? (Math.max(value, 0) / top) * (WIDTH - LABEL - 8) : 0);
  return (
    <figure className="chart" id={id}>
      <figcaption>{caption}</figcaption>
      <ul className="legend" aria-hidden="true">
        {series.slice(0, drawn).map((name, n) => (
          <li key={name}>
            <span className="swatch" style={{ background: COLOURS[n % COLOURS.length] }} /> {name}
          </li>
        ))}
      </ul>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" aria-hidden="true" focusable="false">
        {rows.map((row, r) => (
          <g key={row.label} transform={`translate(0 ${r * group + 6})`}>
            <text x={LABEL - 6} y={(group - 12) / 2 + 4} textAnchor="end" fontSize="12">
              {row.label.length > 18 ? `${row.label.slice(0, 17)}…` : row.label}
            </text>
            {row.values.slice(0, drawn).map((value, n) =>
              value == null ? null : (
                <rect key={n} x={LABEL} y={n * (BAR + GAP)} height={BAR}
                  width={scale(value)} fill={COLOURS[n % COLOURS.length]} />
              ),
            )}
          </g>
        ))}
      </svg>
      {/* focusable: a table wider than a phone scrolls by keyboard too */}
      <div className="scroll" tabIndex={0} role="region" aria-label={caption}>
        <table className="chart-table">
          <thead>
            <tr>
              <th scope="col">{t("colName")}</th>
              {series.map((name) => (
                <th scope="col" key={name} className="num">
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.label}>
                <th scope="row">{row.label}</th>
                {row.texts.map((text, n) => (
                  <td key={n} className="num">
                    {text}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
