/**
 * The way users do it today, for comparison: a loop over `Set-AzIoTDeviceProvisioningServiceEnrollment`.
 * Each Set resolves the DPS through ARM (GET the DPS, POST `listkeys`), then GETs the enrollment and
 * PUTs it back with its etag. ARM is a small local HTTP stub here (its calls are counted, not
 * timed against Azure); the GET and PUT are real calls to the emulator through the official client.
 *
 * @packageDocumentation
 */
import * as http from "http";
import type { AddressInfo } from "net";
import type { EmulatorHandle } from "../emulator";
import { createServiceClient } from "../provider/core/transport";

/** A local stand-in for the two ARM calls the cmdlet makes per Set. */
export interface ArmStub {
  /** Base URL of the stub. */
  url: string;
  /** ARM requests served so far, by kind. */
  calls: { getDps: number; listKeys: number };
  /** Stops the stub. */
  close(): Promise<void>;
}

const DPS_PATH =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Devices/provisioningServices/dps";

/** Starts the ARM stub describing the emulator's DPS and its shared access policies. */
export async function startArmStub(emu: EmulatorHandle): Promise<ArmStub> {
  const calls = { getDps: 0, listKeys: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://arm.invalid");
    res.setHeader("content-type", "application/json");
    if (req.method === "GET" && url.pathname === DPS_PATH) {
      calls.getDps += 1;
      res.end(JSON.stringify({ name: "dps", properties: { serviceOperationsHostName: emu.hostName } }));
    } else if (req.method === "POST" && url.pathname === `${DPS_PATH}/listKeys`) {
      calls.listKeys += 1;
      res.end(
        JSON.stringify({
          value: emu.policies.map((p) => ({
            keyName: p.keyName,
            primaryKey: p.primaryKey,
            rights: p.rights.join(", "),
          })),
        }),
      );
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

const agent = new http.Agent({ keepAlive: true });

function armRequest(method: string, url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

interface PolicyList {
  value: { keyName: string; primaryKey: string; rights: string }[];
}

/**
 * One `Set-AzIoTDeviceProvisioningServiceEnrollment -Tag $tags`: resolve the DPS and its keys through
 * ARM, GET the enrollment, replace its tags, PUT it with `If-Match`.
 */
export async function cmdletSetTags(
  arm: ArmStub,
  emu: EmulatorHandle,
  registrationId: string,
  tags: Record<string, string>,
): Promise<void> {
  const dps = (await armRequest("GET", `${arm.url}${DPS_PATH}`)) as {
    properties: { serviceOperationsHostName: string };
  };
  const keys = (await armRequest("POST", `${arm.url}${DPS_PATH}/listKeys`)) as PolicyList;
  const policy = keys.value.find((p) => p.rights.includes("EnrollmentWrite"));
  if (!policy) throw new Error("Missing shared access policy for EnrollmentWrite permission.");
  const client = createServiceClient({
    connectionString: `HostName=${dps.properties.serviceOperationsHostName};SharedAccessKeyName=${policy.keyName};SharedAccessKey=${policy.primaryKey}`,
    endpoint: emu.endpoint,
    caCertificate: emu.caCertificate,
  });
  const current = (await client.getIndividualEnrollment(registrationId)).responseBody as unknown as {
    initialTwin?: { tags?: unknown; properties?: { desired?: unknown } };
  };
  current.initialTwin = { ...current.initialTwin, tags };
  await client.createOrUpdateIndividualEnrollment(current as never);
}
