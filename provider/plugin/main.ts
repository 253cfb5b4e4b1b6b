/**
 * `pulumi-resource-dps-enrollments`: the entry point the engine starts (through bin/). It serves the
 * plugin and prints its port; the engine ends the process when it is done with it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { serve } from "./server";

/** This package's version, from its package.json (two folders above dist/provider/plugin). */
function packageVersion(): string {
  const file = path.resolve(__dirname, "..", "..", "..", "package.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

serve(packageVersion()).catch((error: unknown) => {
  process.stderr.write(
    `pulumi-resource-dps-enrollments: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
