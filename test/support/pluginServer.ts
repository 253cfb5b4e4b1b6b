/**
 * Drives the schema-based plugin (`bin/pulumi-resource-dps-enrollments`) the way the engine does:
 * spawn it, read its port, and call its gRPC methods, with secrets marked as the engine marks them.
 * Every byte it writes is kept, for tests that search its output for secrets.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import { INDIVIDUAL_TOKEN } from "../../provider/plugin/kinds";
import { secret } from "../../provider/plugin/values";

/** Plain property bags, as the engine sends them (secrets wrapped with {@link secret}). */
export type Props = Record<string, unknown>;

/** A check failure as the engine receives it. */
export interface Failure {
  property: string;
  reason: string;
}

export { secret };

const PLUGIN = path.resolve(__dirname, "..", "..", "..", "bin", "pulumi-resource-dps-enrollments");

const toStruct = (value: Props): Struct => Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;

function call<Res>(start: (cb: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => start((err, res) => (err ? reject(err) : resolve(res))));
}

/** The URN of a resource of `token` named `name`. */
export function urnOf(name: string, token: string = INDIVIDUAL_TOKEN): string {
  return `urn:pulumi:test::test::${token}::${name}`;
}

/** A running plugin process and a client to it. */
export class PluginProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly client: provrpc.ResourceProviderClient,
    /** Everything the plugin wrote to stdout and stderr. */
    readonly output: string[],
  ) {}

  /** Starts the plugin as the engine does. */
  static async start(env: NodeJS.ProcessEnv = process.env): Promise<PluginProcess> {
    const child = spawn(PLUGIN, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    child.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        output.push(d.toString());
        const line = out.split("\n")[0].trim();
        if (out.includes("\n") && /^\d+$/.test(line)) resolve(Number(line));
      });
      child.once("exit", (code) => reject(new Error(`plugin exited with ${code}: ${output.join("")}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new PluginProcess(child, client, output);
  }

  /** CheckConfig of provider configuration `news`: its failures. */
  async checkConfig(news: Props): Promise<Failure[]> {
    const req = new provproto.CheckRequest().setUrn(
      "urn:pulumi:test::test::pulumi:providers:dps-enrollments::p",
    );
    req.setNews(toStruct(news));
    const res = await call<provproto.CheckResponse>((cb) => this.client.checkConfig(req, cb));
    return failuresOf(res.getFailuresList());
  }

  /** Configure with `args` (config keys without the namespace, as an explicit provider's arguments). */
  async configure(args: Props): Promise<void> {
    const req = new provproto.ConfigureRequest().setArgs(toStruct(args)).setAcceptsecrets(true);
    await call<provproto.ConfigureResponse>((cb) => this.client.configure(req, cb));
  }

  /** Check of `news` for resource `urn`: inputs and failures. */
  async check(urn: string, news: Props): Promise<{ inputs: Props; failures: Failure[] }> {
    const req = new provproto.CheckRequest().setUrn(urn).setNews(toStruct(news)).setOlds(toStruct({}));
    const res = await call<provproto.CheckResponse>((cb) => this.client.check(req, cb));
    return { inputs: res.getInputs()?.toJavaScript() ?? {}, failures: failuresOf(res.getFailuresList()) };
  }

  /** Create (not a preview) with the engine's `timeout` in seconds (0: none). */
  async create(urn: string, props: Props, timeout = 0): Promise<{ id: string; outs: Props }> {
    const req = new provproto.CreateRequest().setUrn(urn).setProperties(toStruct(props)).setTimeout(timeout);
    const res = await call<provproto.CreateResponse>((cb) => this.client.create(req, cb));
    return { id: res.getId(), outs: res.getProperties()?.toJavaScript() ?? {} };
  }

  /** Create with `preview` set: what the create will leave, with no call. */
  async previewCreate(urn: string, props: Props): Promise<Props> {
    const req = new provproto.CreateRequest().setUrn(urn).setProperties(toStruct(props)).setPreview(true);
    const res = await call<provproto.CreateResponse>((cb) => this.client.create(req, cb));
    return res.getProperties()?.toJavaScript() ?? {};
  }

  /** Diff of `id` from state `olds` (and the inputs `oldInputs` that made it) to inputs `news`. */
  async diff(urn: string, id: string, olds: Props, news: Props, oldInputs: Props = {}): Promise<DiffAnswer> {
    const req = new provproto.DiffRequest()
      .setUrn(urn)
      .setId(id)
      .setOlds(toStruct(olds))
      .setNews(toStruct(news))
      .setOldInputs(toStruct(oldInputs));
    const res = await call<provproto.DiffResponse>((cb) => this.client.diff(req, cb));
    const detailed: DiffAnswer["detailed"] = {};
    res.getDetaileddiffMap().forEach((d, path) => {
      detailed[path] = { kind: d.getKind(), inputDiff: d.getInputdiff() };
    });
    return {
      changes: res.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME,
      diffs: res.getDiffsList(),
      detailed,
    };
  }

  /** Read (a refresh) of `id` with state `props`. */
  async read(urn: string, id: string, props: Props): Promise<{ id: string; outs: Props }> {
    const req = new provproto.ReadRequest().setUrn(urn).setId(id).setProperties(toStruct(props));
    const res = await call<provproto.ReadResponse>((cb) => this.client.read(req, cb));
    return { id: res.getId(), outs: res.getProperties()?.toJavaScript() ?? {} };
  }

  /** Update of `id` from state `olds` to inputs `news`. */
  async update(urn: string, id: string, olds: Props, news: Props, timeout = 0): Promise<Props> {
    const req = new provproto.UpdateRequest()
      .setUrn(urn)
      .setId(id)
      .setOlds(toStruct(olds))
      .setNews(toStruct(news))
      .setTimeout(timeout);
    const res = await call<provproto.UpdateResponse>((cb) => this.client.update(req, cb));
    return res.getProperties()?.toJavaScript() ?? {};
  }

  /** Delete of `id` with state `props`. */
  async delete(urn: string, id: string, props: Props, timeout = 0): Promise<void> {
    const req = new provproto.DeleteRequest()
      .setUrn(urn)
      .setId(id)
      .setProperties(toStruct(props))
      .setTimeout(timeout);
    await call<Empty>((cb) => this.client.delete(req, cb));
  }

  /** Invoke of function `tok`: its return value and failures. */
  async invoke(tok: string, args: Props): Promise<{ value: Props; failures: Failure[] }> {
    const req = new provproto.InvokeRequest().setTok(tok).setArgs(toStruct(args));
    const res = await call<provproto.InvokeResponse>((cb) => this.client.invoke(req, cb));
    return { value: res.getReturn()?.toJavaScript() ?? {}, failures: failuresOf(res.getFailuresList()) };
  }

  /** The engine's Cancel. */
  async cancel(): Promise<void> {
    await call<Empty>((cb) => this.client.cancel(new Empty(), cb));
  }

  /** Everything written so far, as one text. */
  text(): string {
    return this.output.join("");
  }

  /** Ends the plugin and waits for it to exit. */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGKILL");
    await exited;
  }
}

/** What a Diff answered. */
export interface DiffAnswer {
  /** DIFF_SOME. */
  changes: boolean;
  /** The top-level properties that change. */
  diffs: string[];
  /** Each property path, its `PropertyDiff.Kind` and whether it compares inputs. */
  detailed: Record<string, { kind: number; inputDiff: boolean }>;
}

/**
 * The engine's partial-failure answer in a call's error (`ErrorResourceInitFailed` in the
 * `grpc-status-details-bin` status details), or undefined when the error carries none.
 */
export function initFailure(
  error: unknown,
): { message: string; id: string; properties: Props; reasons: string[] } | undefined {
  const metadata = (error as { metadata?: grpc.Metadata } | undefined)?.metadata;
  const [bytes] = metadata?.get("grpc-status-details-bin") ?? [];
  if (!(bytes instanceof Buffer)) return undefined;
  const status = statusproto.Status.deserializeBinary(new Uint8Array(bytes));
  for (const any of status.getDetailsList()) {
    if (any.getTypeName() !== "pulumirpc.ErrorResourceInitFailed") continue;
    const detail = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
    return {
      message: status.getMessage(),
      id: detail.getId(),
      properties: detail.getProperties()?.toJavaScript() ?? {},
      reasons: detail.getReasonsList(),
    };
  }
  return undefined;
}

function failuresOf(list: provproto.CheckFailure[]): Failure[] {
  return list.map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
}
