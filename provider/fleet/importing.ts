/**
 * Import of existing records into a fleet, with no write: the dynamic face's `import` option (the
 * program must match the records) and `pulumi import` through the plugin (the records declared as
 * they are). Ids are `ids:a,b,c` or `prefix:line7-`.
 */
import { importDifferences } from "../core/importing";
import { fromWire } from "../core/semantics";
import type { EnrollmentService } from "../core/service";
import type { EnrollmentConnection, EnrollmentView } from "../core/types";
import type { WireEnrollment } from "../core/wire";
import { LISTED_FAILURES } from "./failure";
import { managedOf } from "./held";
import { effectiveInputs } from "./items";
import { pool } from "./pool";
import { KIND, landed, newFleetId, stateOf, type Progress } from "./progress";
import { readMany, readPrefix } from "./read";
import type { FleetInputs, FleetItem, FleetOutputs } from "./types";

export function parseImportId(importId: string): { ids: string[] } | { prefix: string } {
  if (importId.startsWith("prefix:")) {
    const prefix = importId.slice("prefix:".length);
    if (prefix === "") throw new Error('An import by prefix needs one: "prefix:line7-".');
    return { prefix };
  }
  const list = importId.startsWith("ids:") ? importId.slice("ids:".length) : importId;
  const ids = list
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0)
    throw new Error('An import id names records: "ids:line7-00042,line7-00043" or "prefix:line7-".');
  return { ids };
}

/** The records an import id names, read (no write); fails naming the ids that do not exist. */
export async function readImported(service: EnrollmentService, importId: string): Promise<WireEnrollment[]> {
  const spec = parseImportId(importId);
  if ("prefix" in spec) return readPrefix(service, spec.prefix);
  const records = await readMany(service, spec.ids);
  const absent = spec.ids.filter((id) => !records.get(id.toLowerCase()));
  if (absent.length > 0) {
    throw new Error(
      `There is nothing to import for ${absent.slice(0, LISTED_FAILURES).join(", ")}${absent.length > LISTED_FAILURES ? ` and ${absent.length - LISTED_FAILURES} more` : ""}: ` +
        `no such enrollment in ${service.hostName}. Check the ids and the connection. Nothing was written.`,
    );
  }
  return spec.ids.map((id) => records.get(id.toLowerCase())!);
}

/**
 * Takes the records `importId` names into the stack as the program declares them, with no write:
 * fails, listing the differences, when the program's items are not exactly those records as held.
 */
export async function importFleet(
  service: EnrollmentService,
  inputs: FleetInputs,
  importId: string,
): Promise<{ id: string; outs: FleetOutputs }> {
  const records = await readImported(service, importId);
  const byId = new Map(records.map((r) => [String(r.registrationId).toLowerCase(), r]));
  const declared = new Map(Object.keys(inputs.enrollments).map((id) => [id.toLowerCase(), id]));
  const problems: string[] = [];
  for (const key of byId.keys())
    if (!declared.has(key)) problems.push(`${byId.get(key)!.registrationId}: in the DPS, not in the program`);
  for (const [key, id] of declared)
    if (!byId.has(key)) problems.push(`${id}: in the program, not among the records ${importId} names`);
  const progress: Progress = { ledger: new Map(), managed: managedOf(inputs), keys: {}, failures: new Map() };
  await pool(
    [...declared.values()].filter((id) => byId.has(id.toLowerCase())),
    8,
    async (id) => {
      const effective = effectiveInputs(inputs, id);
      const wire = byId.get(id.toLowerCase())!;
      const view =
        wire.attestation?.type === "symmetricKey"
          ? fromWire({ ...wire, attestation: await service.attestation(id) }, undefined, KIND)
          : fromWire(wire, undefined, KIND);
      const differences = importDifferences(view, effective, KIND);
      if (differences.length > 0) problems.push(`${id}: ${differences.join("; ")}`);
      else landed(progress, inputs, id, view.attestation);
    },
  );
  if (problems.length > 0) {
    const listed = problems.slice(0, LISTED_FAILURES);
    if (problems.length > LISTED_FAILURES) listed.push(`and ${problems.length - LISTED_FAILURES} more`);
    throw new Error(
      `The fleet does not match the records ${importId} names in ${service.hostName}, so nothing was imported ` +
        `or written. Make the program declare them as they are:\n  ${listed.join("\n  ")}`,
    );
  }
  return { id: newFleetId(service), outs: stateOf(inputs, progress) };
}

export function declaredItem(view: EnrollmentView): FleetItem {
  const att = view.attestation;
  const attestation: FleetItem["attestation"] =
    att.type === "tpm"
      ? { endorsementKey: att.endorsementKey }
      : att.type === "x509" && att.primaryCaName
        ? { primaryCaName: att.primaryCaName, secondaryCaName: att.secondaryCaName }
        : att.type === "x509"
          ? { type: "x509", primaryCertificate: att.primaryCertificate }
          : { type: "symmetricKey" };
  const item: FleetItem = {
    attestation: JSON.parse(JSON.stringify(attestation)) as FleetItem["attestation"],
  };
  if (view.deviceId) item.deviceId = view.deviceId;
  if (view.provisioningStatus === "Disabled") item.provisioningStatus = "Disabled";
  if (view.reprovisionPolicy && view.reprovisionPolicy !== "reprovisionandmigratedata")
    item.reprovisionPolicy = view.reprovisionPolicy;
  if (view.edgeEnabled) item.edgeEnabled = true;
  if (view.tags && Object.keys(view.tags).length > 0) item.tags = view.tags;
  if (view.desired && Object.keys(view.desired).length > 0) item.desired = view.desired;
  if (view.allocationPolicy) item.allocationPolicy = view.allocationPolicy;
  if (view.iotHubs?.length) item.iotHubs = view.iotHubs;
  if (view.iotHubHostName) item.iotHubHostName = view.iotHubHostName;
  return item;
}

/** `pulumi import` through the plugin (no state): the records `id` names, declared as they are, with no write. */
export async function readImportedFleet(
  service: EnrollmentService,
  id: string,
  connection: EnrollmentConnection | undefined,
): Promise<{ id: string; outs: FleetOutputs; inputs: FleetInputs }> {
  const records = await readImported(service, id);
  const inputs: FleetInputs = { enrollments: {} };
  if (connection !== undefined) inputs.connection = connection;
  const progress: Progress = {
    ledger: new Map(),
    managed: { defaults: [], items: new Map() },
    keys: {},
    failures: new Map(),
  };
  for (const wire of records) {
    const view = fromWire(wire, undefined, KIND);
    inputs.enrollments[String(wire.registrationId)] = declaredItem(view);
  }
  progress.managed = managedOf(inputs);
  await pool(records, 8, async (wire) => {
    const item = String(wire.registrationId);
    let att = fromWire(wire, undefined, KIND).attestation;
    if (att.type === "symmetricKey")
      att = fromWire({ ...wire, attestation: await service.attestation(item) }, undefined, KIND).attestation;
    landed(progress, inputs, item, att);
  });
  return { id, outs: stateOf(inputs, progress), inputs };
}
