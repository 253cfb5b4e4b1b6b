/**
 * The internal inputs only the dynamic face carries beside a record's properties. The `import` option:
 * Pulumi's dynamic-provider plugin cannot serve the engine's import step (its `read` gets no provider:
 * pulumi/pulumi#16175), so the resource classes pass the id on as {@link IMPORT_KEY} and `create`
 * takes the record over with no write when the program matches it (core/importing.ts has the rules).
 */

/** The internal input carrying the `import` option's id (`__` keys are hidden from the engine's diff display). */
export const IMPORT_KEY = "__import";
