// TPM devices: the service's challenge (an activation blob only the enrolled TPM can use) and the
// check of the SAS the TPM then signs with the key it received.
import { randomBytes } from "node:crypto";
import { verifyDeviceSas } from "../auth";
import { DpsError, ErrorCodes } from "../errors";
import type { EnrollmentStore } from "../store";
import { parseTpmPublic, strictBase64, TpmFormatError, type TpmPublic } from "../tpm";
import { isObject, type Json, type JsonObject } from "../types";
import type { Admission } from "./attest";
import { activationBlob, protectorProblem } from "./tpmCrypto";

/** Registration ids whose issued keys are remembered; the least recently challenged are forgotten. */
export const MAX_TPM_DEVICES = 10_000;
/** Keys remembered per registration id (the newest), so concurrent challenges do not lock a device out. */
export const KEYS_PER_DEVICE = 4;

interface IssuedKey {
  key: Buffer;
  /**
   * The enrollment it was issued under (its endorsement key and creation time): it admits only while
   * that enrollment stands, so neither another chip enrolled under the id later nor a deleted and
   * re-created enrollment takes an old key.
   */
  binding: string;
  /** Set once a register request was admitted with it: the next register gets a new challenge. */
  registered: boolean;
}

/** The HMAC keys issued to TPM devices, in memory only (a restarted emulator challenges again). */
export class TpmKeys {
  private readonly byDevice = new Map<string, IssuedKey[]>();

  /** A fresh 32-byte key for `registrationId`, bound to the endorsement key enrolled for it. */
  issue(registrationId: string, binding: string): Buffer {
    const id = registrationId.toLowerCase();
    const keys = [{ key: randomBytes(32), registered: false, binding }, ...(this.byDevice.get(id) ?? [])];
    this.byDevice.delete(id);
    this.byDevice.set(id, keys.slice(0, KEYS_PER_DEVICE));
    while (this.byDevice.size > MAX_TPM_DEVICES)
      this.byDevice.delete(this.byDevice.keys().next().value as string);
    return keys[0].key;
  }

  /** The keys issued to `registrationId` under the enrollment `binding` names, newest first. */
  issued(registrationId: string, binding: string): readonly IssuedKey[] {
    return (this.byDevice.get(registrationId.toLowerCase()) ?? []).filter((k) => k.binding === binding);
  }
}

/** What a TPM device's request carries. */
export interface TpmRequest {
  idScope: string;
  registrationId: string;
  authorization?: string;
  /** The body's `tpm`; undefined when the request has none (operation polls, lookups). */
  tpm?: Json;
  /** True for a register request (PUT), which a key admits once. */
  register: boolean;
}

/** The answer to a TPM request: a challenge (401 with an activation blob) or an admitted device. */
export type TpmOutcome = { challenge: JsonObject } | { admission: Admission };

function refused(message: string): DpsError {
  return new DpsError(401, ErrorCodes.unauthorized, message);
}

function badTpm(message: string): DpsError {
  return new DpsError(400, ErrorCodes.invalidTpmAttestation, message);
}

interface PresentedKeys {
  ek: TpmPublic;
  ekBytes: Buffer;
  srk: TpmPublic;
  srkBytes: Buffer;
}

function presentedKey(
  tpm: JsonObject,
  field: "endorsementKey" | "storageRootKey",
): { key: TpmPublic; bytes: Buffer } {
  const text = tpm[field];
  if (typeof text !== "string" || text === "") {
    throw badTpm(`'tpm.${field}' is required: the base64 TPM2B_PUBLIC the TPM reports.`);
  }
  const bytes = strictBase64(text);
  if (!bytes) throw badTpm(`'tpm.${field}' is not base64.`);
  let key: TpmPublic;
  try {
    key = parseTpmPublic(bytes);
  } catch (err) {
    throw badTpm(`'tpm.${field}' is not a TPM2B_PUBLIC: ${(err as TpmFormatError).message}.`);
  }
  const problem = protectorProblem(key);
  if (problem) throw badTpm(`'tpm.${field}' cannot receive the service's secrets: ${problem}.`);
  return { key, bytes };
}

/** The endorsement and storage root keys of a TPM body, checked; 400 naming the field otherwise. */
export function presentedKeys(tpm: Json): PresentedKeys {
  if (!isObject(tpm)) {
    throw badTpm("'tpm' must be an object with 'endorsementKey' and 'storageRootKey' (base64 TPM2B_PUBLIC).");
  }
  const ek = presentedKey(tpm, "endorsementKey");
  const srk = presentedKey(tpm, "storageRootKey");
  return { ek: ek.key, ekBytes: ek.bytes, srk: srk.key, srkBytes: srk.bytes };
}

/** The enrollment's `attestation.tpm` key text (undefined when absent). */
function enrolledText(record: JsonObject, field: "endorsementKey" | "storageRootKey"): string | undefined {
  const att = isObject(record.attestation) ? record.attestation : {};
  const tpm = isObject(att.tpm) ? att.tpm : {};
  const text = tpm[field];
  return typeof text === "string" && text !== "" ? text : undefined;
}

/** The enrollment's `attestation.tpm` keys, decoded (undefined when absent or not base64). */
function enrolledKey(record: JsonObject, field: "endorsementKey" | "storageRootKey"): Buffer | undefined {
  const text = enrolledText(record, field);
  return text === undefined ? undefined : strictBase64(text);
}

/** The activation blob for `key`, base64; 400 when the presented keys cannot take it. */
function blobFor(keys: PresentedKeys, key: Buffer): string {
  try {
    return activationBlob(keys.ek, keys.srk, key).toString("base64");
  } catch (err) {
    throw badTpm(
      `The TPM keys cannot receive the service's secrets: ${err instanceof Error ? err.message : String(err)}.`,
    );
  }
}

/** True when `record` uses TPM attestation. */
export function usesTpm(record: JsonObject | undefined): boolean {
  return isObject(record?.attestation) && record.attestation.type === "tpm";
}

/**
 * Admits a TPM device as the service does. A register request with `tpm` and no `Authorization` gets
 * the challenge: a fresh HMAC key duplicated to the storage root key, its inner wrap key in a
 * credential for the enrolled endorsement key (only that TPM can activate it). A request with a SAS
 * signed with an issued key is admitted; a key admits one register request (the next gets a new
 * challenge, as the SDK expects when it registers again), and any number of polls and lookups.
 *
 * @throws DpsError 400 for a malformed `tpm`; 401 when the enrollment is missing, not TPM, holds
 *   another key, is disabled, or the SAS does not verify.
 */
export function admitTpm(store: EnrollmentStore, keys: TpmKeys, req: TpmRequest): TpmOutcome {
  const presented = req.tpm === undefined ? undefined : presentedKeys(req.tpm);
  const id = req.registrationId;
  const enrollment = store.get(id);
  if (!enrollment) {
    throw refused(
      `Unauthorized: no individual enrollment has the registration id '${id}'. A TPM device enrolls ` +
        "individually, under the id its SDK computes from the endorsement key (or the id it is given).",
    );
  }
  if (!usesTpm(enrollment)) {
    const type = isObject(enrollment.attestation) ? String(enrollment.attestation.type) : "another";
    throw refused(`Unauthorized: the enrollment '${id}' uses ${type} attestation, not TPM.`);
  }
  const enrolledEk = enrolledKey(enrollment, "endorsementKey");
  if (!enrolledEk) throw refused(`Unauthorized: the enrollment '${id}' holds no usable endorsement key.`);
  if (presented) {
    if (!enrolledEk.equals(presented.ekBytes)) {
      throw refused(`Unauthorized: the endorsement key presented is not the one enrolled for '${id}'.`);
    }
    // An enrolled SRK is compared, never skipped: one that does not decode admits nobody.
    if (enrolledText(enrollment, "storageRootKey") !== undefined) {
      const srk = enrolledKey(enrollment, "storageRootKey");
      if (!srk?.equals(presented.srkBytes)) {
        throw refused(`Unauthorized: the storage root key presented is not the one enrolled for '${id}'.`);
      }
    }
  }
  // Keys issued under another endorsement key or an earlier enrollment of this id admit nobody.
  const binding = `${enrolledEk.toString("base64")}|${String(enrollment.createdDateTimeUtc)}`;
  const challenge = (): TpmOutcome => {
    if (!presented)
      throw refused(`Unauthorized: the enrollment '${id}' uses TPM; send 'tpm' to get a challenge.`);
    return {
      challenge: {
        message:
          "Unauthorized: activate the authentication key in the TPM and sign a SharedAccessSignature with it.",
        authenticationKey: blobFor(presented, keys.issue(id, binding)),
        keyName: "registration",
      },
    };
  };
  if (!req.authorization) return challenge();
  const issued = keys.issued(id, binding);
  if (issued.length === 0) {
    throw refused(
      `Unauthorized: no authentication key is held for '${id}' (none issued, or forgotten on restart); ` +
        "register with 'tpm' and no Authorization to get one.",
    );
  }
  const signer = verifyDeviceSas(
    req.authorization,
    req,
    issued.map((k) => k.key.toString("base64")),
  );
  const used = issued.find((k) => k.key.toString("base64") === signer) as IssuedKey;
  if (req.register && used.registered) return challenge();
  if (enrollment.provisioningStatus === "disabled") {
    throw refused(`Unauthorized: the enrollment '${id}' is disabled.`);
  }
  if (req.register) used.registered = true;
  const admission: Admission = { record: enrollment, attestation: "tpm" };
  // The final state carries the key again, as the SDK activates it once more to keep it.
  if (presented) admission.authenticationKey = blobFor(presented, used.key);
  return { admission };
}
