/**
 * The registry documentation of each resource: an example per language (the Pulumi Registry's
 * `{{% examples %}}` blocks, which every SDK generator reads and keeps its own language of) and an
 * `## Import` section. Text only, composed into the schema's descriptions by schema.ts.
 */

/** The languages of the examples, as the registry's code fences name them. */
export const EXAMPLE_LANGUAGES = ["typescript", "python", "go", "csharp", "java", "yaml"] as const;

/** One example: a title and its program in every language of {@link EXAMPLE_LANGUAGES}. */
export interface Example {
  /** The example's heading. */
  title: string;
  /** The program per language (the body of the code fence). */
  code: Record<(typeof EXAMPLE_LANGUAGES)[number], string>;
}

/** A resource's documentation: its summary, its examples and how to import it. */
export interface ResourceDoc {
  /** The first paragraph. */
  summary: string;
  /** Examples, each in every language. */
  examples: Example[];
  /** The `pulumi import` command line and what its id is. */
  importing: { token: string; name: string; id: string; what: string };
}

/** The fence of one example program. */
const fence = (language: string, code: string): string => "```" + language + "\n" + code + "\n```";

/** The resource's schema description: summary, `{{% examples %}}` in every language, `## Import`. */
export function describeResource(doc: ResourceDoc): string {
  const examples = doc.examples
    .map(
      (example) =>
        "{{% example %}}\n### " +
        example.title +
        "\n\n" +
        EXAMPLE_LANGUAGES.map((language) => fence(language, example.code[language])).join("\n") +
        "\n{{% /example %}}",
    )
    .join("\n");
  const { token, name, id, what } = doc.importing;
  return [
    doc.summary,
    "",
    "{{% examples %}}",
    "## Example Usage",
    "",
    examples,
    "{{% /examples %}}",
    "",
    "## Import",
    "",
    what,
    "",
    fence("sh", ` $ pulumi import ${token} ${name} ${id}`),
    "",
  ].join("\n");
}
