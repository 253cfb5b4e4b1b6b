/**
 * The provider never shows a connection string key, SAS token or symmetric key in an error or log
 * line: through the official client's errors (whose request carries the live token), with the
 * emulator failing in every way it can, and through the real dynamic-provider gRPC server.
 */
import { strict as assert } from "assert";
import { inspect } from "node:util";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { DpsServiceError, redactSecrets } from "../../provider/core/errors";
import type { WireEnrollment } from "../../provider/core/semantics";
import { INDIVIDUAL_ENROLLMENT } from "../../provider/individual/kind";
import { EnrollmentService } from "../../provider/core/service";
import { createDataPlaneClient, createServiceClient } from "../../provider/core/transport";
import { DynamicProviderServer, type Props } from "../support/dynamicProvider";

const OWNER_KEY = Buffer.alloc(32, 21).toString("base64");
const READ_KEY = Buffer.alloc(32, 22).toString("base64");
const WRONG_KEY = Buffer.alloc(32, 23).toString("base64");
const SYM_A = Buffer.alloc(64, 24).toString("base64");
const SYM_B = Buffer.alloc(64, 25).toString("base64");
const SECRETS = [OWNER_KEY, READ_KEY, WRONG_KEY, SYM_A, SYM_B];

/** Fails when `text` holds a secret or anything shaped like a SAS token. */
function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows a key: ${text}`);
  assert.doesNotMatch(text, /SharedAccessSignature\s+sr=|[?&\s]sig=[^*]|SharedAccessKey=[^*]/, where);
}

/** `{"k": {"k": ... 1}}` with `levels` objects: 12 is deeper than a twin may nest. */
function nested(levels: number): Props {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { k: value };
  return value as Props;
}

describe("provider: no secret in errors", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  const cs = (keyName: string, key: string) =>
    `HostName=${emu.hostName};SharedAccessKeyName=${keyName};SharedAccessKey=${key}`;

  before(async () => {
    emu = await startEmulator({
      policies: [
        { keyName: "owner", primaryKey: OWNER_KEY, rights: ["EnrollmentWrite", "ServiceConfig"] },
        { keyName: "reader", primaryKey: READ_KEY, rights: ["EnrollmentRead"] },
      ],
    });
  });
  after(() => emu?.stop());

  it("redactSecrets masks keys, SAS tokens, signatures, Bearer tokens and known values, and keeps the rest", () => {
    const text =
      `HostName=h;SharedAccessKeyName=owner;SharedAccessKey=${OWNER_KEY} ` +
      `Authorization: SharedAccessSignature sr=h&sig=abc%3D&se=1&skn=owner ` +
      `url?sig=xyz&se=1 Bearer eyJhbGciOi.eyJzdWIi.c2ln {"primaryKey":"${SYM_A}","secondaryKey": "${SYM_B}"} ` +
      `raw ${WRONG_KEY} registration "dev-1" trackingId 1b2c3d4e-0000-4000-8000-000000000000`;
    const out = redactSecrets(text, [WRONG_KEY]);
    assertNoSecret(out, "redacted text");
    assert.doesNotMatch(out, /abc%3D|xyz|eyJ/);
    assert.match(out, /SharedAccessKeyName=owner/);
    // Service messages about credentials stay readable.
    for (const message of [
      "Bearer tokens are accepted only when the emulator runs with a test issuer.",
      "'attestation.symmetricKey.primaryKey' must be base64 of 16 to 64 bytes.",
      "The Authorization header is missing.",
    ]) {
      assert.equal(redactSecrets(message), message);
    }
    assert.match(out, /registration "dev-1" trackingId 1b2c3d4e-0000-4000-8000-000000000000/);
  });

  it("DpsServiceError wraps the official client's errors for every failure the emulator can produce", async () => {
    const service = (key: string, keyName = "owner") =>
      new EnrollmentService(
        createDataPlaneClient({
          connectionString: cs(keyName, key),
          endpoint: emu.endpoint,
          caCertificate: emu.caCertificate,
        }),
        emu.hostName,
        INDIVIDUAL_ENROLLMENT,
        { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20, maxThrottledMs: 50 },
        [key],
      );
    const owner = service(OWNER_KEY);
    const withKeys = {
      registrationId: "red-1",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: SYM_A, secondaryKey: SYM_B } },
    };
    await owner.put(withKeys);
    const failures: Array<[string, () => Promise<unknown>]> = [
      ["401 wrong key", () => service(WRONG_KEY).get("red-1")],
      ["401 missing right", () => service(READ_KEY, "reader").put({ ...withKeys, registrationId: "red-2" })],
      ["409 exists", () => owner.put(withKeys)],
      [
        "400 twin too deep",
        () =>
          owner.put({
            ...withKeys,
            registrationId: "red-3",
            initialTwin: { tags: nested(12) } as WireEnrollment["initialTwin"],
          }),
      ],
      ["attestation of a missing enrollment", () => owner.attestation("red-missing")],
    ];
    for (const [name, faults] of [
      ["500", { rate500: 1 }],
      ["503", { rate503: 1 }],
      ["dropped connection", { dropRate: 1 }],
      ["429", { opsPerMinute: 1 }],
    ] as const) {
      failures.push([
        name,
        async () => {
          emu.setFaults(faults);
          try {
            await owner.put(withKeys);
            return await owner.get("red-1");
          } finally {
            emu.setFaults({ rate500: 0, rate503: 0, dropRate: 0, opsPerMinute: 0 });
          }
        },
      ]);
    }
    for (const [name, run] of failures) {
      const err = await run().then(
        () => assert.fail(`${name}: expected a failure`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DpsServiceError, `${name}: ${inspect(err)}`);
      for (const text of [err.message, String(err), err.stack ?? "", inspect(err, { depth: 8 })]) {
        assertNoSecret(text, name);
      }
    }
    // The official client's own error does carry the live token: the wrapping is what hides it.
    const rawError = await createServiceClient({
      connectionString: cs("owner", WRONG_KEY),
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    })
      .getIndividualEnrollment("red-1")
      .catch((e: unknown) => e);
    assert.match(inspect(rawError, { depth: 8 }), /SharedAccessSignature sr=/);
  });

  it("the dynamic face's Check names a bad webhookUrl, hostName or endpoint without repeating it (issue 28)", async () => {
    const server = await DynamicProviderServer.start();
    const mark = "FUNCKEY7c1e";
    try {
      const base = { registrationId: "hook-1", attestation: { type: "symmetricKey" } };
      const cases: [string, Props][] = [
        [
          "webhookUrl",
          {
            ...base,
            connection: { connectionString: cs("owner", OWNER_KEY), endpoint: emu.endpoint },
            allocationPolicy: "Custom",
            apiVersion: "2021-10-01",
            webhookUrl: `http://fn.example.net/api/alloc?code=${mark}`,
          },
        ],
        ["connection.hostName", { ...base, connection: { hostName: `${mark}\r\nx`, credential: "default" } }],
        [
          "connection.endpoint",
          { ...base, connection: { connectionString: cs("owner", OWNER_KEY), endpoint: `http://${mark}` } },
        ],
      ];
      for (const [property, news] of cases) {
        const { failures } = await server.check({}, news);
        assert.ok(
          failures.some((f) => f.property === property),
          `${property}: ${JSON.stringify(failures)}`,
        );
        assert.ok(!JSON.stringify(failures).includes(mark), JSON.stringify(failures));
        assert.ok(!server.stderr.join("").includes(mark), "not on stderr either");
      }
    } finally {
      await server.stop();
    }
  });

  it("the dynamic-provider gRPC server reports 401, 400 and retried faults without a secret", async () => {
    const server = await DynamicProviderServer.start();
    const connection = (keyName: string, key: string) => ({
      connectionString: cs(keyName, key),
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    });
    try {
      emu.setFaults({ rate500: 0.3 });
      const cases: Array<[string, Props]> = [
        ["wrong key", { connection: connection("owner", WRONG_KEY), registrationId: "grpc-1" }],
        ["read-only policy", { connection: connection("reader", READ_KEY), registrationId: "grpc-2" }],
        [
          "hub not linked",
          {
            connection: connection("owner", OWNER_KEY),
            registrationId: "grpc-3",
            allocationPolicy: "static",
            iotHubs: ["unlinked.azure-devices.net"],
          },
        ],
      ];
      for (const [name, props] of cases) {
        const news = {
          ...props,
          attestation: { type: "symmetricKey", primaryKey: SYM_A, secondaryKey: SYM_B },
        };
        const checked = await server.check({}, news);
        assert.deepEqual(checked.failures, [], name);
        const err = await server.create(checked.inputs).then(
          () => assert.fail(`${name}: expected a failure`),
          (e: unknown) => e as Error & { details?: string },
        );
        assert.match(
          err.details ?? err.message,
          /DPS write of enrollment "grpc-\d" failed: HTTP (401|400)/,
          name,
        );
        assertNoSecret(`${err.message} ${err.details ?? ""}`, name);
      }
      assertNoSecret(server.stderr.join(""), "provider stderr");
    } finally {
      emu.setFaults({ rate500: 0 });
      await server.stop();
    }
  });
});
