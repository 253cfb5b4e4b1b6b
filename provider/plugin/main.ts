/**
 * `pulumi-resource-dps-enrollments`: the entry point the engine starts (through bin/, or as the
 * standalone executable `npm run dist` builds). It serves the plugin and prints its port; the engine
 * ends the process when it is done with it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { serve } from "./server";

/** Set by the bundler (`scripts/dist.js`): the standalone executable has no package.json beside it. */
declare const DPS_PLUGIN_VERSION: string | undefined;

/** This package's version: the one built in, else its package.json (two folders above dist/provider/plugin). */
function packageVersion(): string {
  if (typeof DPS_PLUGIN_VERSION === "string") return DPS_PLUGIN_VERSION;
  const file = path.resolve(__dirname, "..", "..", "..", "package.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

serve(packageVersion()).catch((error: unknown) => {
  process.stderr.write(
    `pulumi-resource-dps-enrollments: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
