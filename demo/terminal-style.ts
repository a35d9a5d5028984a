// Colours for the demo's terminal output. They are on only when a person is
// watching: stdout is a terminal and NO_COLOR (https://no-color.org) is unset.
// Everything printed must read the same without them.

export interface Style {
  readonly color: boolean
  bold(text: string): string
  dim(text: string): string
  italic(text: string): string
  underline(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  blue(text: string): string
  magenta(text: string): string
  cyan(text: string): string
}

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  italic: [3, 23],
  underline: [4, 24],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39]
} as const

export function makeStyle(color: boolean): Style {
  const wrap =
    ([open, close]: readonly [number, number]) =>
    (text: string): string =>
      color && text !== '' ? `\u001b[${open}m${text}\u001b[${close}m` : text
  return {
    color,
    bold: wrap(codes.bold),
    dim: wrap(codes.dim),
    italic: wrap(codes.italic),
    underline: wrap(codes.underline),
    red: wrap(codes.red),
    green: wrap(codes.green),
    yellow: wrap(codes.yellow),
    blue: wrap(codes.blue),
    magenta: wrap(codes.magenta),
    cyan: wrap(codes.cyan)
  }
}

/** Colour for a stream: only a terminal, and only when the reader has not opted out. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '')
}

// eslint-disable-next-line no-control-regex -- the escape character is what it finds
const ANSI = /\u001b\[[0-9;]*m/g

/** The columns `text` takes on a terminal: escape codes take none. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length
}

export function padVisible(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleWidth(text)))
}
