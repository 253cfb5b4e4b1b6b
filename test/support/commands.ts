/**
 * Running the repository's own tools from a test (the SDK generator, `go`, `tsc`): a child
 * process whose output is kept for the failure message, with Go's usual home on PATH.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "./engine";

/** What a command printed, and how it ended. */
export interface CommandResult {
  /** Exit code (0: success). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** PATH with Node's own directory and Go's (/usr/local/go/bin, ~/go/bin) after what is there. */
export function toolPath(): string {
  return [
    path.dirname(process.execPath),
    process.env.PATH ?? "",
    "/usr/local/go/bin",
    path.join(process.env.HOME ?? "/root", "go", "bin"),
  ].join(path.delimiter);
}

/**
 * Runs `file ARGS` (in the repository unless `cwd` says otherwise); never throws for a non-zero exit.
 * @param file - the executable
 * @param args - its arguments
 * @param opts - working directory, extra environment, time limit (default 15 minutes)
 */
export function runCommand(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: opts.cwd ?? REPO_ROOT,
        env: { ...process.env, PATH: toolPath(), ...opts.env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 900_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `file ARGS` like {@link runCommand}; throws with its output when it fails. */
export async function runOk(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const result = await runCommand(file, args, opts);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}
