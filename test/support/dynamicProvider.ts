/**
 * Drives the real dynamic-provider gRPC server (`@pulumi/pulumi/cmd/dynamic-provider`) the way the
 * engine does: spawn it, read its port, and call Check/Diff/Create/Read/Update/Delete with
 * `__provider` set to the serialized provider text that `dynamic.Resource` stores in state.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { GROUP_PROVIDER_MODULE_TEXT, ENROLLMENT_GROUP_TYPE } from "../../provider/group/resource";
import { INDIVIDUAL_ENROLLMENT_TYPE, PROVIDER_MODULE_TEXT } from "../../provider/individual/resource";
import { ENROLLMENT_FLEET_TYPE, FLEET_RUNTIME_EXPORT } from "../../provider/fleet/resource";
import { providerModuleText } from "../../provider/dynamic/resource";

/** Which resource kind a server speaks for: its provider text and type token. */
export interface ServedKind {
  /** The `__provider` text stored in state. */
  provider: string;
  /** The type token, for URNs. */
  type: string;
}

/** `IndividualEnrollment`, the default. */
export const INDIVIDUAL: ServedKind = { provider: PROVIDER_MODULE_TEXT, type: INDIVIDUAL_ENROLLMENT_TYPE };
/** `EnrollmentGroup`. */
export const GROUP: ServedKind = { provider: GROUP_PROVIDER_MODULE_TEXT, type: ENROLLMENT_GROUP_TYPE };
/** `EnrollmentFleet`. */
export const FLEET: ServedKind = {
  provider: providerModuleText(FLEET_RUNTIME_EXPORT),
  type: ENROLLMENT_FLEET_TYPE,
};

/** Plain property bags, as the engine sends them. */
export type Props = Record<string, unknown>;

/** The diff as the engine receives it. */
export interface WireDiff {
  /** DIFF_UNKNOWN 0, DIFF_NONE 1, DIFF_SOME 2. */
  changes: number;
  /** Properties that force a replacement. */
  replaces: string[];
  /** Whether the old enrollment is deleted before the new one is created. */
  deleteBeforeReplace: boolean;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

let pluginDir: string | undefined;

/**
 * The plugin's working directory: where the provider text's `require("pulumi-dps-enrollments/...")`
 * resolves from. The repository when its `node_modules` link leads back to it; otherwise (a git
 * worktree sharing another checkout's `node_modules`, whose link leads there) a temporary directory
 * whose link leads to this checkout, so the code under test is what the plugin runs.
 */
function pluginCwd(): string {
  try {
    if (fs.realpathSync(path.join(REPO_ROOT, "node_modules", "pulumi-dps-enrollments")) === REPO_ROOT)
      return REPO_ROOT;
  } catch {
    // no link: make one below
  }
  if (pluginDir) return pluginDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dps-plugin-"));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(REPO_ROOT, path.join(dir, "node_modules", "pulumi-dps-enrollments"), "dir");
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return (pluginDir = dir);
}

function toStruct(value: Props): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));
}

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;

function call<Res>(start: (cb: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => start((err, res) => (err ? reject(err) : resolve(res))));
}

/** A running dynamic-provider plugin process and a client to it. */
export class DynamicProviderServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: provrpc.ResourceProviderClient,
    /** The serialized provider (`__provider`). */
    readonly provider: string,
    /** Everything the plugin wrote to stderr. */
    readonly stderr: string[],
    /** The URN requests carry. */
    private readonly urn: string,
  ) {}

  /** Starts the plugin with the repository as its working directory, as the engine would for the root program. */
  static async start(
    env: NodeJS.ProcessEnv = process.env,
    kind: ServedKind = INDIVIDUAL,
    config: Record<string, string> = {},
  ): Promise<DynamicProviderServer> {
    const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
    const child = spawn(process.execPath, [script, "127.0.0.1:1"], {
      cwd: pluginCwd(),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stderr: string[] = [];
    child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const line = out.split("\n")[0].trim();
        if (out.includes("\n") && /^\d+$/.test(line)) resolve(Number(line));
      });
      child.once("exit", (code) =>
        reject(new Error(`dynamic provider exited with ${code}: ${stderr.join("")}`)),
      );
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const server = new DynamicProviderServer(
      child,
      client,
      kind.provider,
      stderr,
      `urn:pulumi:test::test::${kind.type}::e`,
    );
    await server.configure(config);
    return server;
  }

  /** Configure, with the stack config as the engine gives it to the dynamic-provider plugin (full keys). */
  private async configure(config: Record<string, string>): Promise<void> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(toStruct(config));
    await call<provproto.ConfigureResponse>((cb) => this.client.configure(req, cb));
  }

  private withProvider(props: Props): Struct {
    return toStruct({ ...props, __provider: this.provider });
  }

  /** Check: canonical inputs and failures. */
  async check(
    olds: Props,
    news: Props,
  ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const req = new provproto.CheckRequest();
    req.setUrn(this.urn);
    req.setOlds(this.withProvider(olds));
    req.setNews(this.withProvider(news));
    const res = await call<provproto.CheckResponse>((cb) => this.client.check(req, cb));
    return {
      inputs: strip(res.getInputs()?.toJavaScript() ?? {}),
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** Diff of old outputs against new inputs. */
  async diff(id: string, olds: Props, news: Props): Promise<WireDiff> {
    const req = new provproto.DiffRequest();
    req.setId(id);
    req.setUrn(this.urn);
    req.setOlds(this.withProvider(olds));
    req.setNews(this.withProvider(news));
    const res = await call<provproto.DiffResponse>((cb) => this.client.diff(req, cb));
    return {
      changes: res.getChanges(),
      replaces: res.getReplacesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
    };
  }

  /** Create: the id and the outputs. */
  async create(props: Props): Promise<{ id: string; outs: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(this.urn);
    req.setProperties(this.withProvider(props));
    const res = await call<provproto.CreateResponse>((cb) => this.client.create(req, cb));
    return { id: res.getId(), outs: strip(res.getProperties()?.toJavaScript() ?? {}) };
  }

  /** Read (refresh when `props` are outputs; get when they are inputs only). */
  async read(
    id: string,
    props: Props,
    inputsOnly = false,
  ): Promise<{ id: string; outs: Props; inputs?: Props }> {
    const req = new provproto.ReadRequest();
    req.setId(id);
    req.setUrn(this.urn);
    if (inputsOnly) req.setInputs(this.withProvider(props));
    else req.setProperties(this.withProvider(props));
    const res = await call<provproto.ReadResponse>((cb) => this.client.read(req, cb));
    const inputs = res.getInputs()?.toJavaScript();
    return {
      id: res.getId(),
      outs: strip(res.getProperties()?.toJavaScript() ?? {}),
      inputs: inputs ? strip(inputs) : undefined,
    };
  }

  /** Update: the new outputs. */
  async update(id: string, olds: Props, news: Props): Promise<Props> {
    const req = new provproto.UpdateRequest();
    req.setId(id);
    req.setUrn(this.urn);
    req.setOlds(this.withProvider(olds));
    req.setNews(this.withProvider(news));
    const res = await call<provproto.UpdateResponse>((cb) => this.client.update(req, cb));
    return strip(res.getProperties()?.toJavaScript() ?? {});
  }

  /** Delete. */
  async delete(id: string, props: Props): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setId(id);
    req.setUrn(this.urn);
    req.setProperties(this.withProvider(props));
    await call<import("google-protobuf/google/protobuf/empty_pb").Empty>((cb) => this.client.delete(req, cb));
  }

  /** Check then create, as the engine does; fails on check failures. Returns id, checked inputs and outputs. */
  async checkAndCreate(news: Props): Promise<{ id: string; outs: Props; inputs: Props }> {
    const checked = await this.check({}, news);
    if (checked.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    return { ...(await this.create(checked.inputs)), inputs: checked.inputs };
  }

  /** Check, diff and (when changed in place) update, as the engine does; `id` names the resource. */
  async checkAndApply(
    id: string,
    olds: Props,
    news: Props,
  ): Promise<{ diff: WireDiff; outs: Props; inputs: Props }> {
    const checked = await this.check({}, news);
    if (checked.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    const diff = await this.diff(id, olds, checked.inputs);
    const outs =
      diff.changes === 2 && diff.replaces.length === 0 ? await this.update(id, olds, checked.inputs) : olds;
    return { diff, outs, inputs: checked.inputs };
  }

  /** Stops the plugin. */
  async stop(): Promise<void> {
    this.client.close();
    this.child.kill("SIGTERM");
  }
}

function strip(props: Props): Props {
  const { __provider: _ignored, ...rest } = props;
  return rest;
}
