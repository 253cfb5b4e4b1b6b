/**
 * The shapes of `EnrollmentFleet`, one resource managing many individual enrollments: its inputs
 * (shared `defaults` and `enrollments` keyed by registration id), its compact outputs, and its limits.
 * Both faces (dynamic and plugin) use these; the records themselves are the individual kind's.
 */
import type { EnrollmentConnection, EnrollmentProperties, JsonObject } from "../core/types";

/** An item's attestation; `type` may be left out when its fields say it (see check.ts). */
export interface FleetAttestation {
  /** `"symmetricKey"`, `"tpm"` or `"x509"`; implied by the fields when absent. */
  type?: string;
  /** Symmetric key: primary key, base64 (both or neither; neither generates both). */
  primaryKey?: string;
  /** Symmetric key: secondary key, base64. */
  secondaryKey?: string;
  /** TPM: endorsement key, base64. */
  endorsementKey?: string;
  /** TPM: storage root key, base64. */
  storageRootKey?: string;
  /** X.509: the device's primary certificate, PEM or base64. */
  primaryCertificate?: string;
  /** X.509: secondary certificate. */
  secondaryCertificate?: string;
  /** X.509: name of the primary CA certificate in the DPS. */
  primaryCaName?: string;
  /** X.509: name of the secondary CA certificate in the DPS. */
  secondaryCaName?: string;
}

/** The shared properties of every item: an individual enrollment's optional inputs. */
export interface FleetDefaults extends EnrollmentProperties {
  /** `optionalDeviceInformation`, replaced whole. */
  optionalDeviceInformation?: JsonObject;
}

/** One item: an individual enrollment's inputs but its id (the key), connection and adopt. */
export interface FleetItem extends FleetDefaults {
  /** How the device proves who it is. */
  attestation: FleetAttestation;
}

/** Checked, resolved inputs of a fleet. */
export interface FleetInputs {
  /** The DPS; absent in the plugin face and when the dynamic face's stack config gives it. */
  connection?: EnrollmentConnection;
  /** Properties every item has unless it names its own (shallow: an item's property replaces the default whole). */
  defaults?: FleetDefaults;
  /** The items, keyed by registration id. */
  enrollments: Record<string, FleetItem>;
  /** Take over existing records with Set semantics instead of failing. */
  adopt?: boolean;
}

/** The state of a fleet: compact, the items are not repeated (they are in the inputs). */
export interface FleetOutputs {
  /** The DPS (the dynamic face: `{ hostName }` when the stack config gives it). */
  connection?: EnrollmentConnection;
  /** Items in the DPS as the program declares them. */
  enrollmentCount: number;
  /** The symmetric keys of symmetric-key items, by registration id (secret). */
  deviceKeys?: Record<string, { primaryKey: string; secondaryKey: string }>;
  /** The items the last write could not land, with the service's reason; absent when all landed. */
  failedEnrollments?: Record<string, string>;
  /** Items a refresh found changed outside Pulumi in what the program manages (the next `up` writes them back). */
  driftedEnrollments?: Record<string, string>;
  /** What landed: see ledger.ts. */
  __fleet: string;
  /** Which properties the program manages (held.ts). */
  __managed?: string;
  /** The data-plane api-version the items were written or read with. */
  __dataPlane?: string;
  /** As given. */
  adopt?: boolean;
}

/** Most items one fleet holds: one `up` of them is about a minute of a DPS's 1,000 operations/min. */
export const MAX_FLEET_ITEMS = 10_000;

/**
 * Largest item (its own properties as JSON, defaults not counted), in bytes. Two PEM certificates
 * (about 2 KB each) and some tags fit; it keeps a full fleet's inputs under about 80 MB of state.
 * Larger twins are shared ones: put them in `defaults`.
 */
export const MAX_ITEM_BYTES = 8 * 1024;
