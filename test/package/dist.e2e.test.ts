// The standalone plugin's tarballs as `npm run dist` leaves them for a release: every platform's,
// listed with the right hash in SHA256SUMS, each holding the executable at its root (Node with this
// plugin injected, Node's code signature removed rather than left broken) and the LICENSE; and this machine's executable, run with an empty environment (no
// Node, no PATH), serving Pulumi's provider protocol with the package's version built in.
import { strict as assert } from "assert";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { unsign } from "macho-unsign";
import { signatureGet } from "portable-executable-signature";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import type * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import { DIST_DIR, pluginTarball, pluginVersion, tarballName } from "../support/pluginDist";

const PLATFORMS = ["linux-amd64", "linux-arm64", "darwin-amd64", "windows-amd64"];
/** The fuse a Node binary carries, flipped to `:1` once a single-executable blob is injected. */
const INJECTED_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1";

const nameOf = (platform: string) => `pulumi-resource-dps-enrollments-v${pluginVersion()}-${platform}.tar.gz`;

describe("The standalone plugin's tarballs (npm run dist)", function () {
  this.timeout(300_000);
  let scratch: string;

  before(() => {
    pluginTarball(); // fails early, saying to run `npm run dist`
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dps-dist-test-"));
  });

  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("has one tarball per platform, each listed in SHA256SUMS with its hash", () => {
    const sums = fs
      .readFileSync(path.join(DIST_DIR, "SHA256SUMS"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/));
    assert.deepEqual(sums.map(([, name]) => name).sort(), PLATFORMS.map(nameOf).sort());
    for (const [hash, name] of sums) {
      const actual = crypto
        .createHash("sha256")
        .update(fs.readFileSync(path.join(DIST_DIR, name)))
        .digest("hex");
      assert.equal(actual, hash, name);
    }
  });

  for (const platform of PLATFORMS) {
    it(`${platform}: the executable at the root, with the plugin injected into Node`, () => {
      const tarball = path.join(DIST_DIR, nameOf(platform));
      const exe = `pulumi-resource-dps-enrollments${platform.startsWith("windows") ? ".exe" : ""}`;
      const listing = execFileSync("tar", ["-tvzf", tarball], { encoding: "utf8" }).trim().split("\n");
      assert.deepEqual(listing.map((l) => l.split(/\s+/).pop()).sort(), ["LICENSE", exe].sort());
      assert.match(
        listing.find((l) => l.endsWith(` ${exe}`))!,
        /^-rwxr-xr-x/,
        "executable",
      );
      const dir = path.join(scratch, platform);
      fs.mkdirSync(dir);
      execFileSync("tar", ["-xzf", tarball, "-C", dir]);
      const bytes = fs.readFileSync(path.join(dir, exe));
      assert.ok(bytes.includes(INJECTED_FUSE), "a single-executable blob is injected");
      assert.ok(bytes.includes("pulumi-resource-dps-enrollments: "), "the blob is this plugin");
      // Node's signature would no longer match: it is removed, not left broken.
      if (platform.startsWith("darwin")) assert.equal(unsign(bytes), null, "no Mach-O code signature");
      if (platform.startsWith("windows"))
        assert.equal(signatureGet(bytes), null, "no Authenticode signature");
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  describe(`this machine's executable (${tarballName()}), run with an empty environment`, () => {
    let child: ChildProcess;
    let client: provrpc.ResourceProviderClient;

    before(async () => {
      const dir = path.join(scratch, "host");
      fs.mkdirSync(dir);
      execFileSync("tar", ["-xzf", pluginTarball(), "-C", dir]);
      child = spawn(path.join(dir, "pulumi-resource-dps-enrollments"), [], {
        env: {},
        stdio: ["ignore", "pipe", "pipe"],
      });
      const port = await new Promise<string>((resolve, reject) => {
        let err = "";
        child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      assert.match(port, /^\d+$/, "it prints its port, as the engine expects");
      client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
      client?.close();
      child?.kill();
    });

    it("reports the package's version (built in: no package.json beside it)", async () => {
      const info = await new Promise<plugproto.PluginInfo>((resolve, reject) =>
        client.getPluginInfo(new Empty(), (e, r) => (e ? reject(e) : resolve(r))),
      );
      assert.equal(info.getVersion(), pluginVersion());
    });

    it("serves its schema", async () => {
      const res = await new Promise<provproto.GetSchemaResponse>((resolve, reject) =>
        client.getSchema(new provproto.GetSchemaRequest(), (e, r) => (e ? reject(e) : resolve(r))),
      );
      const schema = JSON.parse(res.getSchema()) as { name: string; resources: Record<string, unknown> };
      assert.equal(schema.name, "dps-enrollments");
      assert.ok(schema.resources["dps-enrollments:index:IndividualEnrollment"]);
    });
  });
});
