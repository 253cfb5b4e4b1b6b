/**
 * The internal inputs only the dynamic face carries beside a record's properties. The `import` option:
 * Pulumi's dynamic-provider plugin cannot serve the engine's import step (its `read` gets no provider:
 * pulumi/pulumi#16175), so the resource classes pass the id on as {@link IMPORT_KEY} and `create`
 * takes the record over with no write when the program matches it (core/importing.ts has the rules).
 */

/** The internal input carrying the `import` option's id (`__` keys are hidden from the engine's diff display). */
export const IMPORT_KEY = "__import";

/**
 * The state key holding the properties the program manages (core/drift.ts `managedKeys`), so that a
 * refresh can name drift in the inputs it hands the engine (a dynamic provider cannot report changed
 * keys itself); absent in state written by 0.1.0. The plugin's state keeps real inputs instead.
 */
export const MANAGED_KEY = "__managed";

/**
 * The input in which a dynamic resource hands the dynamic-provider plugin its provider's module text
 * (a private part of `@pulumi/pulumi`, guarded with the others in sdkInternals.ts, which re-exports
 * it); defined here so that provider code names it without loading the SDK.
 */
export const DYNAMIC_PROVIDER_KEY = "__provider";
