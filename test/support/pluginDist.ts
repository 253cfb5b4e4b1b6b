/**
 * The standalone plugin as users get it: the tarballs `npm run dist` writes to dist-plugin/, a
 * loopback HTTP server standing in for their download site, and `pulumi plugin install`.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { runCommand } from "./commands";
import { REPO_ROOT } from "./engine";

/** Where `npm run dist` writes the tarballs and SHA256SUMS. */
export const DIST_DIR = path.join(REPO_ROOT, "dist-plugin");

/** The plugin's version: the package's. */
export function pluginVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string })
    .version;
}

/** This machine's OS and CPU in Pulumi's words (`linux-amd64`), as in the tarballs' names. */
export function pulumiPlatform(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  return `${os}-${arch}`;
}

/** The file name of the tarball for this machine. */
export function tarballName(): string {
  return `pulumi-resource-dps-enrollments-v${pluginVersion()}-${pulumiPlatform()}.tar.gz`;
}

/**
 * The tarball for this machine.
 * @throws when `npm run dist` has not built it, saying so.
 */
export function pluginTarball(): string {
  const file = path.join(DIST_DIR, tarballName());
  if (!fs.existsSync(file)) throw new Error(`No ${file}: run \`npm run dist\` (after \`npm run build\`).`);
  return file;
}

/** A loopback HTTP server of a folder's files, recording what was asked of it. */
export interface FileServer {
  /** Its base URL, with a trailing slash. */
  url: string;
  /** The path of every request, in order. */
  requests: string[];
  /** Stops it. */
  close(): Promise<void>;
}

/** Serves the files of `dir` (flat: no sub-folder) on 127.0.0.1; anything else is a 404. */
export async function serveFiles(dir: string): Promise<FileServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? "/").split("?")[0]).replace(/^\/+/, "");
    requests.push(`/${name}`);
    const file = path.join(dir, name);
    if (name === "" || name.includes("/") || !fs.existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": "application/gzip",
      "content-length": fs.statSync(file).size,
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * PATH of exactly these folders, none of which may hold a `node`: what the engine, its language host
 * and the plugin see in a project of a language other than Node.js.
 * @throws when one of them holds a `node`.
 */
export function pathWithoutNode(dirs: string[]): string {
  for (const dir of dirs) {
    if (fs.existsSync(path.join(dir, "node")))
      throw new Error(`${dir} holds a node: not a PATH without Node`);
  }
  return dirs.join(path.delimiter);
}

/**
 * `pulumi plugin install resource dps-enrollments <version> --file <tarball>` into `pulumiHome`, the way
 * the README tells users without a download site.
 * @param pulumi - the `pulumi` executable
 * @param pulumiHome - the PULUMI_HOME to install into
 * @returns the folder the plugin landed in
 */
export async function installPluginFile(pulumi: string, pulumiHome: string): Promise<string> {
  const version = pluginVersion();
  const r = await runCommand(
    pulumi,
    ["plugin", "install", "resource", "dps-enrollments", version, "--file", pluginTarball()],
    { env: { PULUMI_HOME: pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "true", PATH: path.dirname(pulumi) } },
  );
  if (r.code !== 0) throw new Error(`pulumi plugin install --file failed:\n${r.stdout}\n${r.stderr}`);
  return installedPluginDir(pulumiHome);
}

/** The folder of the installed plugin of this version in `pulumiHome`. */
export function installedPluginDir(pulumiHome: string): string {
  return path.join(pulumiHome, "plugins", `resource-dps-enrollments-v${pluginVersion()}`);
}
