/**
 * chdb's raw insert takes its statement in parts (table, columns, settings, format) and the body as bytes.
 * An INSERT that arrives as SQL text is sent that way only when it is exactly of the plain shape below
 * (identifiers, numeric settings, a text format the raw path accepts), so nothing is lost by taking it
 * apart; any other statement keeps the text path.
 */
export interface RawInsert {
  table: string;
  columns?: string[];
  settings?: Record<string, number>;
  format: "JSONEachRow" | "JSONCompactEachRow" | "TabSeparated" | "TSV" | "CSV";
}

const IDENT = "[A-Za-z_][A-Za-z0-9_]*";
const SHAPE = new RegExp(
  `^\\s*INSERT INTO (${IDENT}(?:\\.${IDENT})?)` +
    `(?: \\((${IDENT}(?:, ?${IDENT})*)\\))?` +
    `(?: SETTINGS (${IDENT} ?= ?\\d+(?:, ?${IDENT} ?= ?\\d+)*))?` +
    " FORMAT (JSONEachRow|JSONCompactEachRow|TabSeparated|TSV|CSV)\\s*$",
);

/** The parts of a plain `INSERT INTO t (cols) [SETTINGS k = n, …] FORMAT F`, or null for anything else. */
export function rawInsertOf(query: string): RawInsert | null {
  const match = SHAPE.exec(query);
  if (!match) return null;
  const [, table, columns, settings, format] = match;
  const raw: RawInsert = { table: table!, format: format as RawInsert["format"] };
  if (columns) raw.columns = columns.split(",").map((c) => c.trim());
  if (settings) {
    raw.settings = {};
    for (const assignment of settings.split(",")) {
      const [name, value] = assignment.split("=").map((part) => part.trim());
      raw.settings[name!] = Number(value);
    }
  }
  return raw;
}
