/**
 * The README's install lines (between `<!-- install:begin` and `<!-- install:end -->`): per language,
 * the command a user runs, or the Maven coordinate. Tests check each against the built SDK and the
 * engine suites install by them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./engine";

/** One language's line. */
export interface InstallLine {
  /** The language column. */
  language: string;
  /** The command, when the line is one (`npm install ...`). */
  command?: string;
  /** `group:artifact:version`, when the line is a Maven coordinate. */
  coordinate?: string;
}

/** The README's install lines, in order. */
export function readmeInstallLines(): InstallLine[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = /<!-- install:begin[^>]*-->\n([\s\S]*?)<!-- install:end -->/.exec(readme);
  if (!section) throw new Error("README.md has no install section (<!-- install:begin -->)");
  return section[1]
    .split("\n")
    .filter((row) => row.startsWith("| ") && !row.startsWith("| Language") && !row.startsWith("| ---"))
    .map((row) => {
      const [language, install] = row
        .split("|")
        .slice(1, 3)
        .map((cell) => cell.trim());
      const code = /`([^`]+)`/.exec(install)?.[1];
      if (install.startsWith("Maven ")) return { language, coordinate: code };
      return code ? { language, command: code } : { language };
    });
}
