/**
 * The plugin's gRPC face: Pulumi's resource-provider protocol served with `@grpc/grpc-js` and the
 * generated stubs `@pulumi/pulumi` ships (`@pulumi/pulumi/proto`), the way pulumi-eks and
 * `@pulumi/pulumi`'s own `provider/server.ts` serve it. Not `provider.main`: it sends no detailed
 * diff, ignores `Configure`, and its `Read` fails without properties (an import). Each method turns
 * the request into plain values, calls the handlers the descriptor of the request's type token names
 * (`plugin.operations`, see operations.ts) with this provider instance as their context, and turns
 * the result back; a {@link PartialFailure} goes back as the engine's `ErrorResourceInitFailed`.
 */
import * as grpc from "@grpc/grpc-js";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import type { CheckFailure } from "../core/checks";
import { jsonEqual } from "../core/diff";
import type { EnrollmentConnection } from "../core/types";
import { countedWrite } from "../core/writeSteps";
import { checkConfig, connectionFromConfig, noConnectionFailure } from "./configure";
import type { PropertyChange } from "./diff";
import { FUNCTIONS, kindOf } from "./kinds";
import { PartialFailure, type PluginContext, type PluginOperations } from "./operations";
import { PACKAGE } from "./properties";
import { packageSchema } from "./schema";
import { revealProps } from "./values";
import { allStrings, maskSecrets, secretStrings } from "./secretText";
import { cancelOperations, withOperation } from "../core/deadline";

type Call<Req> = grpc.ServerUnaryCall<Req, unknown>;
type Handler<Req, Res> = (call: Call<Req>, callback: grpc.sendUnaryData<Res>) => void;

/** The secrets of a request: every string the engine marked secret in any of its property bags. */
function requestSecrets(req: unknown): Set<string> {
  const found = new Set<string>();
  const r = req as Record<string, unknown>;
  for (const getter of ["getProperties", "getNews", "getOlds", "getArgs", "getInputs"]) {
    const get = r[getter];
    if (typeof get !== "function") continue;
    const struct = (get as () => Struct | undefined).call(req);
    secretStrings(struct?.toJavaScript(), found);
  }
  return found;
}

/**
 * A handler from an async function: a thrown error goes back to the engine as its message, with
 * every secret of the request and of `known()` (the configured connection) masked.
 */
function unary<Req, Res>(
  fn: (req: Req) => Promise<Res> | Res,
  known: () => Iterable<string> = () => [],
): Handler<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          const secrets = requestSecrets(call.request);
          for (const s of known()) secrets.add(s);
          const details = maskSecrets(message, secrets);
          const metadata = error instanceof PartialFailure ? initFailed(error, details, secrets) : undefined;
          callback({ code: grpc.status.UNKNOWN, details, metadata });
        },
      );
  };
}

/**
 * The engine's partial-failure answer (`ErrorResourceInitFailed` in the status details, as
 * `@pulumi/pulumi`'s own provider server packs it): the resource exists with what landed, and the
 * step fails with `reasons`.
 */
function initFailed(error: PartialFailure, message: string, secrets: Set<string>): grpc.Metadata {
  const { id, properties, inputs } = error.landed;
  const detail = new provproto.ErrorResourceInitFailed()
    .setId(id)
    .setProperties(toStruct(properties))
    .setReasonsList(error.reasons.map((reason) => maskSecrets(reason, secrets)));
  if (inputs) detail.setInputs(toStruct(inputs));
  const any = new Any();
  any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
  const status = new statusproto.Status().setCode(grpc.status.UNKNOWN).setMessage(message);
  status.addDetails(any);
  const metadata = new grpc.Metadata();
  metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  return metadata;
}

/** The top-level property of a detailed-diff path (`enrollments["a.b"].tags` → `enrollments`). */
function topLevel(path: string): string {
  return /^[^.[]*/.exec(path)?.[0] ?? path;
}

const CHANGE_KINDS: Record<PropertyChange, provproto.PropertyDiff.Kind> = {
  add: provproto.PropertyDiff.Kind.ADD,
  addReplace: provproto.PropertyDiff.Kind.ADD_REPLACE,
  delete: provproto.PropertyDiff.Kind.DELETE,
  deleteReplace: provproto.PropertyDiff.Kind.DELETE_REPLACE,
  update: provproto.PropertyDiff.Kind.UPDATE,
  updateReplace: provproto.PropertyDiff.Kind.UPDATE_REPLACE,
};

const toStruct = (value: Record<string, unknown>): Struct =>
  Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, never>);
const plain = (struct: Struct | undefined): Record<string, unknown> =>
  revealProps(struct?.toJavaScript() as Record<string, unknown> | undefined);

/** The resource-provider service of one provider instance (one DPS). */
export class PluginServer implements PluginContext {
  private configured: EnrollmentConnection | undefined;
  /** Strings of the configured connection that are secret (the connection string, whole). */
  private connectionSecrets: Set<string> = new Set();

  /** @param version - what `GetPluginInfo` reports and the schema carries. */
  constructor(readonly version: string) {}

  /** Where the configured connection comes from, for messages. */
  readonly where = `provider config ${PACKAGE}:*`;

  /** The configured connection, absent before `Configure` gives one. */
  get connection(): EnrollmentConnection | undefined {
    return this.configured;
  }

  /** The configured connection, or the failure naming the missing configuration (see {@link PluginContext}). */
  connectionOr(failures?: CheckFailure[]): EnrollmentConnection {
    if (this.configured) return this.configured;
    if (failures) {
      failures.push(noConnectionFailure());
      return {};
    }
    throw new Error(noConnectionFailure().reason);
  }

  /** {@link unary}, masking the configured connection's secrets too. */
  private unary<Req, Res>(fn: (req: Req) => Promise<Res> | Res): Handler<Req, Res> {
    return unary(fn, () => this.connectionSecrets);
  }

  /** The service implementation, for `grpc.Server.addService`. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      getPluginInfo: this.unary<Empty, plugproto.PluginInfo>(() =>
        new plugproto.PluginInfo().setVersion(this.version),
      ),
      getSchema: this.unary<provproto.GetSchemaRequest, provproto.GetSchemaResponse>(() =>
        new provproto.GetSchemaResponse().setSchema(JSON.stringify(packageSchema(this.version))),
      ),
      checkConfig: this.unary<provproto.CheckRequest, provproto.CheckResponse>((req) => {
        const news = req.getNews()?.toJavaScript();
        const secrets = secretStrings(news);
        const values = plain(req.getNews());
        // The connection string is secret whether or not it was set with --secret.
        allStrings(values.connectionString ?? values[`${PACKAGE}:connectionString`], secrets);
        const failures = checkConfig(values).map((f) => ({ ...f, reason: maskSecrets(f.reason, secrets) }));
        return new provproto.CheckResponse()
          .setInputs(req.getNews())
          .setFailuresList(failures.map(toFailure));
      }),
      diffConfig: this.unary<provproto.DiffRequest, provproto.DiffResponse>((req) => {
        const same = jsonEqual(plain(req.getOlds()), plain(req.getNews()));
        return new provproto.DiffResponse().setChanges(
          same ? provproto.DiffResponse.DiffChanges.DIFF_NONE : provproto.DiffResponse.DiffChanges.DIFF_SOME,
        );
      }),
      configure: this.unary<provproto.ConfigureRequest, provproto.ConfigureResponse>((req) => {
        const args = req.getArgs()?.toJavaScript() ?? Object.fromEntries(req.getVariablesMap().toArray());
        this.configured = connectionFromConfig(revealProps(args as Record<string, unknown>));
        this.connectionSecrets = secretStrings(args);
        allStrings(this.configured?.connectionString, this.connectionSecrets);
        return new provproto.ConfigureResponse()
          .setAcceptsecrets(true)
          .setSupportspreview(true)
          .setAcceptresources(false)
          .setAcceptoutputs(false);
      }),
      check: this.unary<provproto.CheckRequest, provproto.CheckResponse>((req) => this.check(req)),
      diff: this.unary<provproto.DiffRequest, provproto.DiffResponse>((req) => this.diff(req)),
      create: this.unary<provproto.CreateRequest, provproto.CreateResponse>(async (req) => {
        const args = { urn: req.getUrn(), properties: plain(req.getProperties()), preview: req.getPreview() };
        const { id, properties } = args.preview
          ? await this.operationsOf(args.urn).create(args, this)
          : await this.write(req.getTimeout(), () => this.operationsOf(args.urn).create(args, this));
        return new provproto.CreateResponse().setId(id).setProperties(toStruct(properties));
      }),
      read: this.unary<provproto.ReadRequest, provproto.ReadResponse>((req) => this.read(req)),
      update: this.unary<provproto.UpdateRequest, provproto.UpdateResponse>(async (req) => {
        const args = {
          urn: req.getUrn(),
          id: req.getId(),
          olds: plain(req.getOlds()),
          oldInputs: plain(req.getOldInputs()),
          news: plain(req.getNews()),
          preview: req.getPreview(),
        };
        const properties = args.preview
          ? await this.operationsOf(args.urn).update(args, this)
          : await this.write(req.getTimeout(), () => this.operationsOf(args.urn).update(args, this));
        return new provproto.UpdateResponse().setProperties(toStruct(properties));
      }),
      delete: this.unary<provproto.DeleteRequest, Empty>(async (req) => {
        const args = { urn: req.getUrn(), id: req.getId(), properties: plain(req.getProperties()) };
        await this.write(req.getTimeout(), () => this.operationsOf(args.urn).delete(args, this));
        return new Empty();
      }),
      invoke: this.unary<provproto.InvokeRequest, provproto.InvokeResponse>((req) => this.invoke(req)),
      // Pulumi's Cancel: stop every request in flight, so the engine is not left waiting on the DPS.
      cancel: this.unary<Empty, Empty>(() => {
        cancelOperations();
        return new Empty();
      }),
      attach: this.unary<unknown, Empty>(() => new Empty()),
    };
  }

  /** The handlers of the resource type of `urn` (its descriptor's `plugin.operations`). */
  private operationsOf(urn: string): PluginOperations {
    return kindOf(urn).plugin.operations();
  }

  /** A write step: counted for the write queues, bounded by the engine's timeout, cancellable. */
  private write<T>(timeout: number, step: () => Promise<T>): Promise<T> {
    return withOperation(timeout, () => countedWrite(step));
  }

  private async check(req: provproto.CheckRequest): Promise<provproto.CheckResponse> {
    const news = (req.getNews()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const urn = req.getUrn();
    const { inputs, failures } = await this.operationsOf(urn).check(
      { urn, news, olds: plain(req.getOlds()) },
      this,
    );
    // No secret in a failure: the rules avoid repeating values, and secrets are masked besides.
    const secrets = secretStrings(news);
    for (const s of this.connectionSecrets) secrets.add(s);
    for (const f of failures) f.reason = maskSecrets(f.reason, secrets);
    return new provproto.CheckResponse().setInputs(toStruct(inputs)).setFailuresList(failures.map(toFailure));
  }

  private async diff(req: provproto.DiffRequest): Promise<provproto.DiffResponse> {
    const diff = await this.operationsOf(req.getUrn()).diff(
      {
        id: req.getId(),
        olds: plain(req.getOlds()),
        oldInputs: plain(req.getOldInputs()),
        news: plain(req.getNews()),
      },
      this,
    );
    const res = new provproto.DiffResponse()
      .setChanges(
        diff.changes
          ? provproto.DiffResponse.DiffChanges.DIFF_SOME
          : provproto.DiffResponse.DiffChanges.DIFF_NONE,
      )
      .setReplacesList(diff.replaces)
      .setDeletebeforereplace(diff.deleteBeforeReplace)
      .setDiffsList([...new Set(Object.keys(diff.detailed).map(topLevel))])
      .setHasdetaileddiff(true);
    for (const [path, change] of Object.entries(diff.detailed)) {
      res
        .getDetaileddiffMap()
        .set(path, new provproto.PropertyDiff().setKind(CHANGE_KINDS[change]).setInputdiff(diff.inputDiff));
    }
    return res;
  }

  private async read(req: provproto.ReadRequest): Promise<provproto.ReadResponse> {
    const urn = req.getUrn();
    const result = await this.operationsOf(urn).read(
      { urn, id: req.getId(), state: plain(req.getProperties()), inputs: plain(req.getInputs()) },
      this,
    );
    const res = new provproto.ReadResponse().setId(result.id);
    if (!result.id) return res; // Deleted out of band: the engine forgets it.
    if (result.properties) res.setProperties(toStruct(result.properties));
    if (result.inputs) res.setInputs(toStruct(result.inputs));
    else if (req.getInputs()) res.setInputs(req.getInputs());
    return res;
  }

  private invoke(req: provproto.InvokeRequest): provproto.InvokeResponse {
    const fn = FUNCTIONS.get(req.getTok());
    if (!fn) {
      throw new Error(
        `${PACKAGE} has no function ${req.getTok()}; it has ${[...FUNCTIONS.keys()].join(", ")}.`,
      );
    }
    const { value, failures } = fn.invoke(plain(req.getArgs()));
    const res = new provproto.InvokeResponse();
    if (failures.length > 0) return res.setFailuresList(failures.map(toFailure));
    return res.setReturn(toStruct(value ?? {}));
  }
}

function toFailure(f: CheckFailure): provproto.CheckFailure {
  return new provproto.CheckFailure().setProperty(f.property).setReason(f.reason);
}

/** Starts the plugin on a free port of 127.0.0.1 and prints the port, as the engine expects. */
export async function serve(version: string): Promise<grpc.Server> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(provrpc.ResourceProviderService, new PluginServer(version).implementation());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  process.stdout.write(`${port}\n`);
  return server;
}
