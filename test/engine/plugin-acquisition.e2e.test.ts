// A user's first `pulumi up` with the standalone plugin: nothing installed (a clean PULUMI_HOME),
// automatic plugin acquisition on, no Node on PATH, and a Pulumi YAML program whose resource names
// where the plugin is published (`pluginDownloadURL`, as a YAML team writes it) and no
// `plugins.providers` path. A loopback HTTP server stands in for the release site, serving the tarballs
// of `npm run dist`. Then the other way users install it: `pulumi plugin install --server`.
// Needs `npm run ensure-pulumi`, `npm run ensure-yaml` and `npm run dist`.
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { CliProject, findYamlHost } from "../support/cliProject";
import { runCommand } from "../support/commands";
import { findPulumi } from "../support/engine";
import {
  DIST_DIR,
  installedPluginDir,
  pluginTarball,
  pluginVersion,
  serveFiles,
  tarballName,
  type FileServer,
} from "../support/pluginDist";
import { emulatorClient } from "../support/service";

const TOKEN = "dps-enrollments:index:IndividualEnrollment";

describe("The standalone plugin downloaded by the engine (acquisition on, clean PULUMI_HOME, no Node)", function () {
  this.timeout(600_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let server: FileServer;
  let project: CliProject;

  before(async () => {
    pluginTarball(); // fails early, saying to run `npm run dist`
    const yamlHost = findYamlHost();
    server = await serveFiles(DIST_DIR);
    emu = await startEmulator({ port: 0 });
    client = emulatorClient(emu);
    project = await CliProject.create("plugin-acquire", "yaml", [yamlHost], {
      plugin: "installed",
      acquire: true,
    });
    await project.configureEmulator(emu);
  });

  after(async () => {
    await project?.dispose();
    await emu?.stop();
    await server?.close();
  });

  it("starts with no plugin installed", () => {
    assert.equal(fs.existsSync(installedPluginDir(project.pulumiHome)), false);
  });

  it("`pulumi up` downloads the plugin from the program's pluginDownloadURL and creates the enrollment", async () => {
    project.writeProgram(
      "plugin-acquire",
      "yaml",
      "resources:\n" +
        "  device:\n" +
        `    type: ${TOKEN}\n` +
        "    properties:\n" +
        "      registrationId: acquired-device\n" +
        "      attestation:\n        type: symmetricKey\n" +
        "      tags:\n        env: dev\n" +
        "    options:\n" +
        `      version: ${pluginVersion()}\n` +
        `      pluginDownloadURL: ${server.url}\n`,
    );
    const up = await project.ok("up", "--yes", "--skip-preview");
    assert.ok(
      server.requests.includes(`/${tarballName()}`),
      `the engine asked for ${tarballName()}; asked: ${server.requests.join(", ")}`,
    );
    const installed = installedPluginDir(project.pulumiHome);
    assert.ok(
      fs.existsSync(path.join(installed, "pulumi-resource-dps-enrollments")),
      `the plugin is installed in ${installed}\n${up.stdout}\n${up.stderr}`,
    );
    const held = (await client.getIndividualEnrollment("acquired-device")).responseBody;
    assert.deepEqual(held.initialTwin?.tags, { env: "dev" });
  });

  it("a second run uses the installed plugin: no download", async () => {
    const before = server.requests.length;
    const preview = await project.ok("preview");
    assert.match(preview.stdout, /Resources:\s+2 unchanged/, preview.stdout);
    assert.equal(server.requests.length, before, "nothing was downloaded again");
  });

  it("`pulumi destroy` deletes the enrollment through the downloaded plugin", async () => {
    await project.ok("destroy", "--yes", "--skip-preview");
    await assert.rejects(
      client.getIndividualEnrollment("acquired-device"),
      (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
    );
  });
});

describe("`pulumi plugin install resource dps-enrollments <version> --server <url>`", function () {
  this.timeout(300_000);
  let server: FileServer;
  let home: string;

  before(async () => {
    pluginTarball();
    server = await serveFiles(DIST_DIR);
    home = fs.mkdtempSync(path.join(os.tmpdir(), "dps-plugin-home-"));
  });

  after(async () => {
    await server?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("installs the plugin from the server, checked against SHA256SUMS, and `pulumi plugin ls` lists it", async () => {
    const pulumi = path.join((await findPulumi()).binDir, "pulumi");
    const env = { PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true", PATH: path.dirname(pulumi) };
    const sums = fs.readFileSync(path.join(DIST_DIR, "SHA256SUMS"), "utf8");
    const line = sums.split("\n").find((l) => l.endsWith(`  ${tarballName()}`));
    assert.ok(line, `SHA256SUMS lists ${tarballName()}`);
    const checksum = line.split(" ")[0];
    /** `pulumi plugin install --server` of this plugin into `pulumiHome`, checked against `sum`. */
    const installFromServer = (sum: string, pulumiHome: string) =>
      runCommand(
        pulumi,
        [
          "plugin",
          "install",
          "resource",
          "dps-enrollments",
          pluginVersion(),
          "--server",
          server.url,
          "--checksum",
          sum,
        ],
        { env: { ...env, PULUMI_HOME: pulumiHome } },
      );
    const install = await installFromServer(checksum, home);
    assert.equal(install.code, 0, install.stdout + install.stderr);
    assert.deepEqual(server.requests, [`/${tarballName()}`]);
    const ls = await runCommand(pulumi, ["plugin", "ls"], { env });
    assert.match(
      ls.stdout,
      new RegExp(`dps-enrollments\\s+resource\\s+${pluginVersion().replace(/\./g, "\\.")}`),
    );
    // A wrong checksum is refused: what the SHA256SUMS line protects against.
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "dps-plugin-home-"));
    try {
      const bad = await installFromServer("0".repeat(64), other);
      assert.notEqual(bad.code, 0, "a tarball that does not match the checksum is not installed");
      assert.equal(fs.existsSync(installedPluginDir(other)), false);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
