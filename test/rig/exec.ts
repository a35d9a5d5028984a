import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/**
 * Runs a program without a shell, so paths and passwords never need quoting.
 * Node's error message already holds the command line and the tool's stderr,
 * which is what tells you why skopeo, umoci or openssl refused.
 */
export async function run(file: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync(file, args, { maxBuffer: 64 * 1024 * 1024 })
  return stdout
}
