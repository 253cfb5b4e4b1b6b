/**
 * The generated Node SDK installed the way the README tells TypeScript users: `npm pack` of sdk/nodejs
 * (its `prepack` builds it), served by a loopback npm registry for its scope only, and the README's
 * `npm install` line run in a fresh project whose `.npmrc` points that scope there; everything else
 * (`@pulumi/pulumi` and its dependencies) comes from the usual registry or npm's cache.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runOk } from "./commands";
import { REPO_ROOT } from "./engine";

/** What `npm pack --json` says of the tarball it wrote. */
export interface PackedPackage {
  /** The package's name (its package.json `name`). */
  name: string;
  /** Its version. */
  version: string;
  /** The tarball's path. */
  tarball: string;
  /** Subresource integrity (sha512) of the tarball. */
  integrity: string;
  /** Its sha1, hex. */
  shasum: string;
  /** The package.json packed. */
  manifest: Record<string, unknown>;
}

/**
 * Packs sdk/nodejs as a maintainer publishes it (`npm pack`, which runs its `prepack`: `npm run build`)
 * in a copy under `workDir`, with this repository's node_modules for its compiler and types.
 * @param workDir - a fresh folder; the copy and the tarball go there
 */
export async function packNodeSdk(workDir: string): Promise<PackedPackage> {
  const copy = path.join(workDir, "sdk-nodejs");
  fs.cpSync(path.join(REPO_ROOT, "sdk", "nodejs"), copy, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
  const out = await runOk("npm", ["pack", "--json", "--pack-destination", workDir], { cwd: copy });
  // Lifecycle scripts print before the JSON array.
  const packed = (
    JSON.parse(out.stdout.slice(out.stdout.indexOf("\n[") + 1)) as {
      name: string;
      version: string;
      filename: string;
      integrity: string;
      shasum: string;
    }[]
  )[0];
  return {
    name: packed.name,
    version: packed.version,
    tarball: path.join(workDir, packed.filename),
    integrity: packed.integrity,
    shasum: packed.shasum,
    manifest: JSON.parse(fs.readFileSync(path.join(copy, "package.json"), "utf8")) as Record<string, unknown>,
  };
}

/** A loopback npm registry of one package. */
export interface ScopeRegistry {
  /** Its URL, with a trailing slash (what `@scope:registry=` takes). */
  url: string;
  /** The decoded path of every request, in order. */
  requests: string[];
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves one packed package as an npm registry does: its packument at `/<name>` (npm asks for
 * `/@scope%2fname`) with `versions`, `dist-tags` and `dist.tarball`, and the tarball; anything else 404.
 * @param pkg - the package, from {@link packNodeSdk}
 */
export async function serveNpmPackage(pkg: PackedPackage): Promise<ScopeRegistry> {
  const requests: string[] = [];
  const tarballPath = `/${pkg.name}/-/${path.basename(pkg.tarball)}`;
  let base = "";
  const server = http.createServer((req, res) => {
    const asked = decodeURIComponent((req.url ?? "/").split("?")[0]);
    requests.push(asked);
    if (asked === `/${pkg.name}`) {
      const version = {
        ...pkg.manifest,
        dist: { tarball: base + tarballPath.slice(1), integrity: pkg.integrity, shasum: pkg.shasum },
      };
      const body = JSON.stringify({
        name: pkg.name,
        "dist-tags": { latest: pkg.version },
        versions: { [pkg.version]: version },
      });
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    } else if (asked === tarballPath) {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": fs.statSync(pkg.tarball).size,
      });
      fs.createReadStream(pkg.tarball).pipe(res);
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A user's project with the SDK installed. */
export interface InstalledProject {
  /** The project's folder. */
  dir: string;
  /** The installed package's folder (`node_modules/<name>`). */
  packageDir: string;
}

/**
 * Creates a TypeScript user's project (a package.json depending on this repository's `@pulumi/pulumi`
 * version, as `pulumi new typescript` writes one) whose `.npmrc` points `scope` at `registryUrl`, and
 * runs `installLine` there exactly as written.
 * @param opts - the README's line (`npm install <name>`), the scope and its registry, the parent folder
 */
export async function installInNewProject(opts: {
  installLine: string;
  scope: string;
  registryUrl: string;
  parentDir?: string;
}): Promise<InstalledProject> {
  const [tool, ...args] = opts.installLine.split(" ");
  if (tool !== "npm" || args[0] !== "install" || args.length !== 2) {
    throw new Error(`not an \`npm install <package>\` line: ${opts.installLine}`);
  }
  const dir = fs.mkdtempSync(path.join(opts.parentDir ?? os.tmpdir(), "dps-user-project-"));
  const pulumiVersion = (
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify(
      { name: "user-project", private: true, dependencies: { "@pulumi/pulumi": pulumiVersion } },
      null,
      2,
    ),
  );
  fs.writeFileSync(path.join(dir, ".npmrc"), `${opts.scope}:registry=${opts.registryUrl}\n`);
  await runOk(tool, args, { cwd: dir });
  return { dir, packageDir: path.join(dir, "node_modules", ...args[1].split("/")) };
}
