// Device registrations: runs an admitted device's allocation in the background, keeps its operation
// for polling, and stores the result as the device's registration state.
import { hasAdrFields, withoutAdrFields, type AdrReference } from "../adr";
import type { CertificationRequest } from "../csr";
import { newEtag, newOperationId } from "../etag";
import type { EnrollmentStore } from "../store";
import type { Json, JsonObject } from "../types";
import { certificateInfo } from "../validation";
import { publicEnrollment, publicEnrollmentGroup } from "../view";
import { pickHub, place } from "./allocation";
import type { Admission } from "./attest";
import { IssuanceError, type AdrAuthorities } from "./issuance";
import { callWebhook } from "./webhook";

/** Operations kept for polling; the oldest are forgotten beyond this. */
export const MAX_OPERATIONS = 10_000;
/** `errorCode` of a registration whose custom allocation webhook failed (the emulator's choice). */
export const CUSTOM_ALLOCATION_FAILED = 400209;
/** `errorCode` of a registration whose certificate could not be issued (the emulator's choice). */
export const CERTIFICATE_ISSUANCE_FAILED = 400210;

/** A verified CSR and the policy its enrollment names: the device gets a certificate. */
export interface IssuanceRequest {
  /** The policy of the enrollment (or group) that admitted the device. */
  policy: AdrReference;
  /** The device's verified request. */
  csr: CertificationRequest;
}

/** Fields of `DeviceRegistrationResult`, as the device sees its registration. */
const DEVICE_FIELDS = [
  "x509",
  "symmetricKey",
  "registrationId",
  "createdDateTimeUtc",
  "assignedHub",
  "deviceId",
  "status",
  "substatus",
  "errorCode",
  "errorMessage",
  "lastUpdatedDateTimeUtc",
  "etag",
  "payload",
];
/** Fields of the service API's `DeviceRegistrationState`. */
const STATE_FIELDS = DEVICE_FIELDS.filter((f) => !["x509", "symmetricKey", "payload"].includes(f));

function pick(stored: JsonObject, fields: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const f of fields) if (stored[f] !== undefined) out[f] = stored[f];
  return out;
}

/** A stored registration as the device sees it (`DeviceRegistrationResult`). */
export function deviceRegistrationView(stored: JsonObject): JsonObject {
  return pick(stored, DEVICE_FIELDS);
}

/** A stored registration as the service API shows it (`DeviceRegistrationState`). */
export function registrationStateView(stored: JsonObject): JsonObject {
  return pick(stored, STATE_FIELDS);
}

interface Operation {
  registrationId: string;
  /** The stored result once allocation finished. */
  result?: JsonObject;
  /** The issued chain (base64 DER, leaf first): answered on the operation, never stored. */
  chain?: string[];
  /** A TPM device's activation blob: answered on the operation (`tpm.authenticationKey`), never stored. */
  authenticationKey?: string;
}

/** What a registration needs from the running emulator. */
export interface RegistrarContext {
  store: EnrollmentStore;
  linkedHubs: readonly string[];
  /** Extra CAs trusted for custom allocation webhooks. */
  webhookCas: readonly string[];
  /** The ADR policies certificates are issued under. */
  adr: AdrAuthorities;
}

/** Registers admitted devices and answers operation polls. */
export class Registrar {
  private readonly operations = new Map<string, Operation>();

  constructor(private readonly ctx: RegistrarContext) {}

  /** Starts the registration of an admitted device; returns the operation id to poll. */
  start(
    admission: Admission,
    registrationId: string,
    payload: Json | undefined,
    issuance?: IssuanceRequest,
  ): string {
    const operationId = newOperationId();
    const op: Operation = { registrationId, authenticationKey: admission.authenticationKey };
    this.operations.set(operationId, op);
    while (this.operations.size > MAX_OPERATIONS) {
      this.operations.delete(this.operations.keys().next().value as string);
    }
    void this.allocate(admission, registrationId, payload, issuance).then(({ result, chain }) => {
      op.result = result;
      op.chain = chain;
    });
    return operationId;
  }

  /**
   * The `RegistrationOperationStatus` of an operation of `registrationId`; undefined when unknown.
   */
  status(operationId: string, registrationId: string): JsonObject | undefined {
    const op = this.operations.get(operationId);
    if (!op || op.registrationId.toLowerCase() !== registrationId.toLowerCase()) return undefined;
    if (!op.result) return { operationId, status: "assigning" };
    const registrationState = deviceRegistrationView(op.result);
    if (op.chain) registrationState.issuedCertificateChain = op.chain;
    if (op.authenticationKey && op.result.status === "assigned") {
      registrationState.tpm = { authenticationKey: op.authenticationKey };
    }
    return { operationId, status: String(op.result.status), registrationState };
  }

  /** Allocates, stores the outcome (assigned or failed) and resolves once it is saved. Never rejects. */
  private async allocate(
    admission: Admission,
    registrationId: string,
    payload: Json | undefined,
    issuance: IssuanceRequest | undefined,
  ): Promise<{ result: JsonObject; chain?: string[] }> {
    const { store, linkedHubs } = this.ctx;
    const record = admission.record;
    const previous = store.getRegistration(registrationId);
    const now = new Date().toISOString();
    const base: JsonObject = {
      registrationId,
      createdDateTimeUtc: (previous?.createdDateTimeUtc as string | undefined) ?? now,
      deviceId: (record.deviceId as string | undefined) ?? registrationId,
      lastUpdatedDateTimeUtc: now,
      etag: newEtag(),
    };
    const via: JsonObject = admission.enrollmentGroupId
      ? { enrollmentGroupId: admission.enrollmentGroupId }
      : {};
    if (admission.attestation === "x509" && admission.certificate) {
      base.x509 = { ...via, certificateInfo: certificateInfo(admission.certificate) };
    } else if (admission.attestation === "symmetricKey") {
      base.symmetricKey = via;
    }
    let result: JsonObject;
    let chain: string[] | undefined;
    try {
      let chosen: string;
      let initialTwin = record.initialTwin;
      let answerPayload: Json | undefined;
      if (record.allocationPolicy === "custom") {
        const decision = await callWebhook(
          String((record.customAllocationDefinition as JsonObject).webhookUrl),
          this.webhookBody(admission, registrationId, payload, previous),
          linkedHubs,
          this.ctx.webhookCas,
        ).catch((err: unknown) => {
          throw new Error(
            `The custom allocation webhook failed: ${err instanceof Error ? err.message : String(err)}.`,
          );
        });
        chosen = decision.iotHubHostName;
        initialTwin = decision.initialTwin ?? initialTwin;
        answerPayload = decision.payload;
      } else {
        chosen = pickHub(record, linkedHubs, registrationId);
      }
      const { hub, substatus } = place(record, previous, chosen);
      // As the service does, the CSR goes to the policy's CA once the device is allocated.
      if (issuance) chain = this.ctx.adr.issue(issuance.policy, registrationId, issuance.csr);
      result = { ...base, assignedHub: hub, status: "assigned", substatus };
      if (answerPayload !== undefined) result.payload = answerPayload;
      // Kept for inspection (state file); no IoT hub is emulated to receive it.
      if (initialTwin !== undefined) result.initialTwin = initialTwin;
    } catch (err) {
      result = {
        ...base,
        status: "failed",
        errorCode: err instanceof IssuanceError ? CERTIFICATE_ISSUANCE_FAILED : CUSTOM_ALLOCATION_FAILED,
        errorMessage: err instanceof Error ? err.message : String(err),
      };
      if (previous?.status === "assigned") {
        // A failed re-registration leaves the device where it was.
        result.assignedHub = previous.assignedHub;
      }
    }
    store.putDeviceRegistration(result);
    await store.persisted().catch(() => undefined);
    return { result, chain };
  }

  /** The body the service POSTs to a custom allocation webhook. */
  private webhookBody(
    admission: Admission,
    registrationId: string,
    payload: Json | undefined,
    previous: JsonObject | undefined,
  ): JsonObject {
    const context: JsonObject = { registrationId };
    if (admission.attestation === "x509" && admission.certificate) {
      context.x509 = { clientCertificateInfo: certificateInfo(admission.certificate) };
    } else {
      context[admission.attestation] = {};
    }
    if (payload !== undefined) context.payload = payload;
    if (previous?.status === "assigned") {
      context.currentIotHubHostName = previous.assignedHub;
      context.currentDeviceId = previous.deviceId;
    }
    // The record as the webhook's declared api-version shows it: ADR fields only from 2026-11-01.
    const definition = admission.record.customAllocationDefinition as JsonObject;
    const record = hasAdrFields(String(definition.apiVersion))
      ? admission.record
      : withoutAdrFields(admission.record);
    const body: JsonObject = admission.enrollmentGroupId
      ? { enrollmentGroup: publicEnrollmentGroup(record, "query") }
      : { individualEnrollment: publicEnrollment(record, "query") };
    body.deviceRuntimeContext = context;
    body.linkedHubs = [...this.ctx.linkedHubs];
    return body;
  }
}
