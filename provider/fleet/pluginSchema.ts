/**
 * The schema of `EnrollmentFleet` as the plugin serves it (and every SDK generated from it), from the
 * individual kind's property tables: an item is an individual enrollment's inputs but its id (the
 * map key) and `adopt`; `defaults` are the properties items share. The outputs do not repeat the
 * items: counts, the symmetric keys (secret) and the items the last write could not land. Pure.
 */
import type { ResourceSchema } from "../descriptor";
import { ATTESTATION_FIELDS, INDIVIDUAL_INPUTS } from "../individual/properties";
import { asOutput } from "../plugin/enrollmentSchema";
import { PACKAGE, text, typeRef, type PropertySpec } from "../plugin/properties";

/** The names of the fleet's object types. */
export const FLEET_TYPES = {
  item: "EnrollmentFleetItem",
  defaults: "EnrollmentFleetDefaults",
  attestation: "EnrollmentFleetAttestation",
  deviceKeys: "EnrollmentFleetDeviceKeys",
} as const;

/** The individual inputs `without` some, as the fields of an object type (no `replaceOnChanges`). */
function fieldsOf(without: readonly string[]): Record<string, PropertySpec> {
  const fields: Record<string, PropertySpec> = {};
  for (const [key, spec] of Object.entries(INDIVIDUAL_INPUTS)) {
    if (!without.includes(key)) fields[key] = asOutput(spec);
  }
  return fields;
}

/** The fleet's inputs. */
export const FLEET_INPUTS = {
  defaults: {
    $ref: typeRef(FLEET_TYPES.defaults),
    description:
      "Properties every item has unless it gives its own: an item's property replaces the default of the same name whole.",
  },
  enrollments: {
    type: "object",
    additionalProperties: { $ref: typeRef(FLEET_TYPES.item) },
    description:
      "The individual enrollments, keyed by registration id (at most 10,000). Only the items that change are written.",
  },
  adopt: {
    type: "boolean",
    description: "Take over records that already exist, with Set semantics, instead of failing.",
  },
} satisfies Record<string, PropertySpec>;

/** The fleet's outputs (the items are not repeated: they are in the inputs). */
export const FLEET_OUTPUTS = {
  enrollmentCount: { type: "integer", description: "Items in the DPS as the program declares them." },
  deviceKeys: {
    type: "object",
    additionalProperties: { $ref: typeRef(FLEET_TYPES.deviceKeys) },
    secret: true,
    description: "The symmetric keys of the symmetric-key items (given or generated), by registration id.",
  },
  failedEnrollments: {
    type: "object",
    additionalProperties: { type: "string" },
    description:
      "The items the last write could not land, with the service's reason; absent when all landed.",
  },
  driftedEnrollments: {
    type: "object",
    additionalProperties: { type: "string" },
    description:
      "Items the last refresh found changed outside Pulumi in what the program manages; the next `up` writes them back.",
  },
  adopt: FLEET_INPUTS.adopt,
} satisfies Record<string, PropertySpec>;

/** The fleet's part of the package schema. */
export function fleetSchema(): ResourceSchema {
  const token = (name: string) => `${PACKAGE}:index:${name}`;
  return {
    resource: {
      inputProperties: FLEET_INPUTS,
      requiredInputs: ["enrollments"],
      properties: FLEET_OUTPUTS,
      required: ["enrollmentCount"],
    },
    types: {
      [token(FLEET_TYPES.item)]: {
        type: "object",
        description:
          "One enrollment of a fleet: an individual enrollment's properties but its registration id.",
        properties: {
          ...fieldsOf(["registrationId", "adopt"]),
          attestation: {
            $ref: typeRef(FLEET_TYPES.attestation),
            description: "How the device proves who it is. Its type cannot change in place.",
          },
        },
        required: ["attestation"],
      },
      [token(FLEET_TYPES.defaults)]: {
        type: "object",
        description: "The properties a fleet's items share (all optional).",
        properties: fieldsOf(["registrationId", "adopt", "attestation", "deviceId"]),
      },
      [token(FLEET_TYPES.attestation)]: {
        type: "object",
        description:
          "An item's attestation. `type` may be left out when the fields say it: endorsementKey (TPM), " +
          'certificates or CA names (X.509), both keys (symmetric key); `{ type: "symmetricKey" }` generates keys.',
        properties: ATTESTATION_FIELDS,
      },
      [token(FLEET_TYPES.deviceKeys)]: {
        type: "object",
        description: "The symmetric keys of one item.",
        properties: {
          primaryKey: { ...text("The primary key, base64."), secret: true },
          secondaryKey: { ...text("The secondary key, base64."), secret: true },
        },
        required: ["primaryKey", "secondaryKey"],
      },
    },
  };
}
