/**
 * Entry point for the ordinary Pulumi CLI: `pulumi up` in this directory runs {@link program} with the
 * stack's config. The program itself is in `program.ts`, which `npm run demo` runs inline.
 */
import { program, settingsFromConfig } from "./program";

export = async () => program(settingsFromConfig());
