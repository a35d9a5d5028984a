// What an operation tells the user, independent of where it is shown.

export interface ReportTable {
  caption: string
  header: string[]
  rows: string[][]
  /** Rows past this many are cut, with a note, to keep summaries readable. */
  limit?: number
}

export interface Report {
  title: string
  /** Key facts, shown as a two-column table. */
  facts: Array<[string, string]>
  tables: ReportTable[]
  /** A long list folded away under its summary line. */
  details?: { summary: string; lines: string[] }
}
