/**
 * The plugin's gRPC face: Pulumi's resource-provider protocol served with `@grpc/grpc-js` and the
 * generated stubs `@pulumi/pulumi` ships (`@pulumi/pulumi/proto`), the way pulumi-eks and
 * `@pulumi/pulumi`'s own `provider/server.ts` serve it. Not `provider.main`: it sends no detailed
 * diff, ignores `Configure`, and its `Read` fails without properties (an import). Each method turns
 * the request into plain values, calls the shared operations of `core/lifecycle.ts` with the kind of
 * the request's type token and the configured connection, and turns the result back.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { asInputs, UNKNOWN, type CheckFailure } from "../core/checks";
import { diffEnrollment, jsonEqual } from "../core/diff";
import {
  checkInputs,
  createEnrollment,
  DATA_PLANE_KEY,
  deleteEnrollment,
  readEnrollment,
  updateEnrollment,
} from "../core/lifecycle";
import { previewCreate, previewUpdate } from "../core/preview";
import type { EnrollmentConnection, EnrollmentOutputs } from "../core/types";
import { deriveDeviceKey } from "../group/deviceKeyRule";
import { countedWrite } from "../core/writeSteps";
import { checkConfig, connectionFromConfig, noConnectionFailure } from "./configure";
import { detailedDiff, type PropertyChange } from "./diff";
import { DERIVE_DEVICE_KEY_TOKEN, kindOf } from "./kinds";
import { PACKAGE } from "./properties";
import { packageSchema } from "./schema";
import { isSecret, reveal, revealProps, secret } from "./values";
import { allStrings, maskSecrets, secretStrings } from "./secretText";
import { cancelOperations, withOperation } from "../core/deadline";
import { engineId } from "../core/identity";
import type { EnrollmentKind } from "../core/kind";

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
          callback({ code: grpc.status.UNKNOWN, details: maskSecrets(message, secrets) });
        },
      );
  };
}

const KINDS: Record<PropertyChange, provproto.PropertyDiff.Kind> = {
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

/** Whether an attestation holds symmetric keys, or may (unknown in a preview): then it goes back secret. */
function holdsKeys(attestation: unknown): boolean {
  const a = reveal(attestation);
  if (a === UNKNOWN) return true;
  const fields = a as { primaryKey?: unknown; secondaryKey?: unknown } | undefined;
  return fields?.primaryKey !== undefined || fields?.secondaryKey !== undefined;
}

/**
 * The state the plugin stores: the core's outputs without the connection (provider configuration
 * holds it), without the managed-property list (the plugin diffs against outputs itself) or what
 * the dynamic face kept beside the record (`__provider`, in state moved over from it), the
 * attestation secret when it holds keys.
 */
export function pluginState(outs: EnrollmentOutputs): Record<string, unknown> {
  const { connection: _connection, ...rest } = outs;
  const state: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (!key.startsWith("__") || key === DATA_PLANE_KEY) state[key] = value;
  }
  if (holdsKeys(state.attestation)) state.attestation = secret(state.attestation);
  return state;
}

/** The resource-provider service of one provider instance (one DPS). */
export class PluginServer {
  private connection: EnrollmentConnection | undefined;
  /** Strings of the configured connection that are secret (the connection string, whole). */
  private connectionSecrets: Set<string> = new Set();

  /** @param version - what `GetPluginInfo` reports and the schema carries. */
  constructor(readonly version: string) {}

  private connectionOr(failures?: CheckFailure[]): EnrollmentConnection {
    if (this.connection) return this.connection;
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
        this.connection = connectionFromConfig(revealProps(args as Record<string, unknown>));
        this.connectionSecrets = secretStrings(args);
        allStrings(this.connection?.connectionString, this.connectionSecrets);
        return new provproto.ConfigureResponse()
          .setAcceptsecrets(true)
          .setSupportspreview(true)
          .setAcceptresources(false)
          .setAcceptoutputs(false);
      }),
      check: this.unary<provproto.CheckRequest, provproto.CheckResponse>((req) => this.check(req)),
      diff: this.unary<provproto.DiffRequest, provproto.DiffResponse>((req) => this.diff(req)),
      create: this.unary<provproto.CreateRequest, provproto.CreateResponse>(async (req) => {
        const kind = kindOf(req.getUrn());
        if (req.getPreview()) {
          // A preview: what the create will leave, with no call (the connection is not needed).
          const outs = previewCreate(kind, asInputs({ ...plain(req.getProperties()), connection: {} }));
          return new provproto.CreateResponse().setProperties(toStruct(pluginState(outs)));
        }
        const inputs = this.checked(kind, plain(req.getProperties()));
        const { id, outs } = await withOperation(req.getTimeout(), () =>
          countedWrite(() => createEnrollment(kind, inputs, false)),
        );
        return new provproto.CreateResponse().setId(id).setProperties(toStruct(pluginState(outs)));
      }),
      read: this.unary<provproto.ReadRequest, provproto.ReadResponse>((req) => this.read(req)),
      update: this.unary<provproto.UpdateRequest, provproto.UpdateResponse>(async (req) => {
        const kind = kindOf(req.getUrn());
        const connection = req.getPreview() ? (this.connection ?? {}) : this.connectionOr();
        const olds = { ...plain(req.getOlds()), connection } as unknown as EnrollmentOutputs;
        // The engine's id is the record's: state or inputs naming another fail before any call.
        engineId(kind, req.getId(), olds, plain(req.getNews()));
        // A preview: what the Set will keep and what the service will decide, with no call.
        const outs = req.getPreview()
          ? previewUpdate(kind, olds, asInputs({ ...plain(req.getNews()), connection }))
          : await withOperation(req.getTimeout(), () =>
              countedWrite(() => updateEnrollment(kind, olds, this.checked(kind, plain(req.getNews())))),
            );
        return new provproto.UpdateResponse().setProperties(toStruct(pluginState(outs)));
      }),
      delete: this.unary<provproto.DeleteRequest, Empty>(async (req) => {
        const props = plain(req.getProperties()) as Partial<EnrollmentOutputs>;
        const connection = this.connectionOr();
        await withOperation(req.getTimeout(), () =>
          countedWrite(() => deleteEnrollment(kindOf(req.getUrn()), req.getId(), { ...props, connection })),
        );
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

  /**
   * Inputs of a Create or Update checked as `Check` would (a caller may skip it), with the configured
   * connection; throws naming every failure.
   */
  private checked(kind: EnrollmentKind, raw: Record<string, unknown>) {
    const connection = this.connectionOr();
    const { connection: _given, ...rest } = raw;
    const { inputs, failures } = checkInputs(kind, rest, connection, `provider config ${PACKAGE}:*`);
    if (failures.length > 0) {
      throw new Error(
        `${kind.resource} inputs are not valid (the engine's Check would have refused them): ` +
          failures.map((f) => `${f.property}: ${f.reason}`).join(" "),
      );
    }
    return asInputs({ ...inputs, connection });
  }

  private check(req: provproto.CheckRequest): provproto.CheckResponse {
    const kind = kindOf(req.getUrn());
    const news = (req.getNews()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const failures: CheckFailure[] = [];
    const raw = revealProps(news);
    if (raw.connection !== undefined) {
      failures.push({
        property: "connection",
        reason:
          `connection is not an argument of ${PACKAGE}:index:${kind.resource}: the provider's configuration ` +
          `names the DPS (${PACKAGE}:connectionString, or an explicit provider). Remove connection.`,
      });
      delete raw.connection;
    }
    const connection = this.connectionOr(failures);
    const outcome = checkInputs(kind, raw, connection, `provider config ${PACKAGE}:*`);
    failures.push(...outcome.failures.filter((f) => this.connection || !f.property.startsWith("connection")));
    const inputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(outcome.inputs)) {
      if (value === undefined) continue;
      const keep = isSecret(news[key]) || (key === "attestation" && holdsKeys(value));
      inputs[key] = keep ? secret(value) : value;
    }
    // No secret in a failure: the rules avoid repeating values, and secrets are masked besides.
    const secrets = secretStrings(news);
    for (const s of this.connectionSecrets) secrets.add(s);
    for (const f of failures) f.reason = maskSecrets(f.reason, secrets);
    return new provproto.CheckResponse().setInputs(toStruct(inputs)).setFailuresList(failures.map(toFailure));
  }

  private diff(req: provproto.DiffRequest): provproto.DiffResponse {
    const kind = kindOf(req.getUrn());
    const connection = this.connection ?? {};
    const olds = plain(req.getOlds());
    const news = plain(req.getNews());
    const diff = diffEnrollment(
      { ...olds, connection } as unknown as EnrollmentOutputs,
      asInputs({ ...news, connection }),
      kind,
    );
    const detailed = detailedDiff(diff, olds, news);
    const res = new provproto.DiffResponse()
      .setChanges(
        diff.changes
          ? provproto.DiffResponse.DiffChanges.DIFF_SOME
          : provproto.DiffResponse.DiffChanges.DIFF_NONE,
      )
      .setReplacesList(diff.replaces.filter((key) => key !== "connection"))
      .setDeletebeforereplace(diff.deleteBeforeReplace)
      .setDiffsList([...new Set(Object.keys(detailed).map((path) => path.split(".")[0]))])
      .setHasdetaileddiff(true);
    for (const [path, change] of Object.entries(detailed)) {
      res
        .getDetaileddiffMap()
        .set(path, new provproto.PropertyDiff().setKind(KINDS[change]).setInputdiff(false));
    }
    return res;
  }

  private async read(req: provproto.ReadRequest): Promise<provproto.ReadResponse> {
    const kind = kindOf(req.getUrn());
    const state = plain(req.getProperties()) as Partial<EnrollmentOutputs>;
    const importing = Object.keys(state).length === 0;
    engineId(kind, req.getId(), plain(req.getInputs()));
    const result = await readEnrollment(kind, req.getId(), state, this.connectionOr());
    const res = new provproto.ReadResponse().setId(result.id);
    if (!result.id) return res; // Deleted out of band: the engine forgets it.
    res.setProperties(toStruct(pluginState(result.outs)));
    if (importing && result.inputs) {
      // Read by id alone (`pulumi import`): the inputs a program declaring this record would give.
      const { connection: _connection, ...inputs } = result.inputs;
      res.setInputs(toStruct(inputs));
    } else if (req.getInputs()) {
      res.setInputs(req.getInputs());
    }
    return res;
  }

  private invoke(req: provproto.InvokeRequest): provproto.InvokeResponse {
    if (req.getTok() !== DERIVE_DEVICE_KEY_TOKEN) {
      throw new Error(`${PACKAGE} has no function ${req.getTok()}; it has ${DERIVE_DEVICE_KEY_TOKEN}.`);
    }
    const args = plain(req.getArgs());
    const failures: CheckFailure[] = [];
    for (const key of ["groupKey", "registrationId"]) {
      if (typeof args[key] !== "string") failures.push({ property: key, reason: `${key} must be a string.` });
    }
    if (args.registrationId === "") {
      failures.push({
        property: "registrationId",
        reason: "registrationId must not be empty: give the device's id.",
      });
    }
    const res = new provproto.InvokeResponse();
    if (failures.length > 0) return res.setFailuresList(failures.map(toFailure));
    try {
      const deviceKey = deriveDeviceKey(String(args.groupKey), String(args.registrationId));
      return res.setReturn(toStruct({ deviceKey: secret(deviceKey) }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const property = reason.includes("registrationId") ? "registrationId" : "groupKey";
      return res.setFailuresList([toFailure({ property, reason })]);
    }
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
