/**
 * The package schema `GetSchema` answers, generated from the list of resources (provider/kinds.ts):
 * each descriptor's part of the schema (from its property tables, the description the code itself
 * uses) and the types every record shares, never written by hand beside them.
 */
import { RESOURCES } from "../kinds";
import { describeResource } from "./examples";
import {
  CERTIFICATE_SUMMARY_FIELDS,
  CONFIG,
  PACKAGE,
  typeRef,
  type FunctionSpec,
  type ObjectSpec,
  type PropertySpec,
  type ResourceSpec,
} from "./properties";

export type { FunctionSpec, ObjectSpec, ResourceSpec } from "./properties";

/** A Pulumi package schema (the parts this package fills in). */
export interface PackageSchema {
  /** `dps-enrollments`. */
  name: string;
  /** The plugin's version. */
  version: string;
  /** The package's name in the Pulumi Registry. */
  displayName: string;
  /** One line about the package. */
  description: string;
  /** Registry keywords (`category/...` and `kind/...` among them). */
  keywords: string[];
  /** Where the engine downloads the plugin when it is not installed. */
  pluginDownloadURL: string;
  /** The provider's configuration. */
  config: { variables: Record<string, PropertySpec> };
  /** The explicit provider resource. */
  provider: { description: string; inputProperties: Record<string, PropertySpec> };
  /** Object types by token. */
  types: Record<string, ObjectSpec>;
  /** Resources by token. */
  resources: Record<string, ResourceSpec>;
  /** Functions by token. */
  functions: Record<string, FunctionSpec>;
  /** Where the source lives. */
  repository: string;
  /** The project's page. */
  homepage: string;
  /** The SDKs' licence (the package's). */
  license: string;
  /** Who publishes the SDKs. */
  publisher: string;
  /** Package-wide settings for the generators. */
  meta: { supportPack: boolean };
  /** Per-language settings. */
  language: ReturnType<typeof sdkLanguages>;
}

/** Where the package is published: set when the SDKs are generated (scripts/generate-sdk). */
export interface Publishing {
  /** The GitHub repository, `https://github.com/OWNER/NAME`: links, the Go module path, plugin downloads. */
  repository: string;
  /** Where the engine downloads the plugin; default: the repository's GitHub releases. */
  pluginDownloadURL?: string;
}

/**
 * The schema of the plugin at `version`.
 * @param publishing - where the package is published; default {@link PUBLISHING}
 */
export function packageSchema(version: string, publishing: Publishing = PUBLISHING): PackageSchema {
  const repository = githubRepository(publishing.repository);
  return {
    name: PACKAGE,
    version,
    displayName: "Azure DPS Enrollments",
    description:
      "Azure IoT Hub Device Provisioning Service enrollments and enrollment groups with the Set semantics of the Az cmdlets.",
    keywords: ["azure", "iot", "dps", "device provisioning", "category/infrastructure", "kind/native"],
    pluginDownloadURL:
      publishing.pluginDownloadURL ?? `github://api.github.com/${repository.owner}/${repository.name}`,
    config: { variables: CONFIG },
    provider: {
      description: "A DPS: a connection string, or a host name with a Microsoft Entra credential.",
      inputProperties: CONFIG,
    },
    types: {
      ...resourceTypes(),
      [`${PACKAGE}:index:CertificateSummary`]: {
        type: "object",
        description: "What the service reports about an enrolled X.509 certificate.",
        properties: CERTIFICATE_SUMMARY_FIELDS,
      },
      [`${PACKAGE}:index:EnrolledCertificates`]: {
        type: "object",
        description: "The enrolled certificates of an X.509 record.",
        properties: {
          primary: { $ref: typeRef("CertificateSummary"), description: "The primary certificate." },
          secondary: { $ref: typeRef("CertificateSummary"), description: "The secondary certificate." },
        },
      },
    },
    resources: Object.fromEntries(
      RESOURCES.map(({ plugin }): [string, ResourceSpec] => [
        plugin.token,
        { description: describeResource(plugin.doc), ...plugin.schema().resource },
      ]),
    ),
    functions: Object.fromEntries(
      RESOURCES.flatMap(({ plugin }) =>
        Object.entries(plugin.functions).map(([token, fn]): [string, FunctionSpec] => [token, fn.schema]),
      ),
    ),
    repository: repository.url,
    homepage: repository.url,
    license: "Apache-2.0",
    publisher: "dps-enrollments",
    // Pack-style SDKs: the Go SDK is its own module (sdk/go/go.mod), and every SDK carries the
    // schema's version.
    meta: { supportPack: true },
    language: sdkLanguages(repository.url),
  };
}

/** The object types the resources name; a token named twice must be the same type. */
function resourceTypes(): Record<string, ObjectSpec> {
  const types: Record<string, ObjectSpec> = {};
  for (const { resource, plugin } of RESOURCES) {
    for (const [token, spec] of Object.entries(plugin.schema().types)) {
      if (types[token] && JSON.stringify(types[token]) !== JSON.stringify(spec)) {
        throw new Error(`${resource} names the type ${token} unlike another resource does.`);
      }
      types[token] = spec;
    }
  }
  return types;
}

/**
 * Where the package is published by default. `scripts/generate-sdk` takes another at build time
 * (`DPS_ENROLLMENTS_REPOSITORY`, `DPS_ENROLLMENTS_PLUGIN_DOWNLOAD_URL`); the SDKs in sdk/ are
 * generated with this one.
 */
export const PUBLISHING: Publishing = {
  repository: "https://github.com/dps-enrollments/pulumi-dps-enrollments",
};

/** The owner and name of a GitHub repository URL, and the URL without a trailing `.git` or slash. */
function githubRepository(url: string): { owner: string; name: string; url: string } {
  const match = /^https:\/\/github\.com\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url);
  if (!match) {
    throw new Error(
      `The repository "${url}" is not a GitHub repository URL; give https://github.com/OWNER/NAME.`,
    );
  }
  const [, owner, name] = match;
  return { owner, name, url: `https://github.com/${owner}/${name}` };
}

/**
 * The package names and build settings of the generated SDKs (docs/plugin.md says why these). One
 * publisher, `dps-enrollments`: its npm scope, its .NET root namespace (never `Pulumi.*`, a NuGet
 * prefix Pulumi reserves), its Java base package (never `com.pulumi`, Pulumi's own); Python has no
 * scopes, so `pulumi_dps_enrollments`, the name Pulumi's Python generator gives `dps-enrollments`.
 * The Go module path follows from the repository (`<repository>/sdk/go`).
 */
export function sdkLanguages(repositoryUrl: string) {
  return {
    nodejs: { packageName: "@dps-enrollments/pulumi", typescriptVersion: "^5.9.3" },
    python: { packageName: "pulumi_dps_enrollments", pyproject: { enabled: true } },
    go: {
      importBasePath: `${repositoryUrl.replace(/^https:\/\//, "")}/sdk/go/dpsenrollments`,
    },
    csharp: { rootNamespace: "DpsEnrollments", namespaces: { "dps-enrollments": "Pulumi" } },
    java: { basePackage: "io.github.dpsenrollments" },
  } as const;
}
