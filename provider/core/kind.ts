/**
 * What a kind of enrollment (individual enrollment, enrollment group) tells the shared machinery:
 * its id property, its words, its `check` rules and the four client calls. A new kind is one object
 * of this type in a folder of its own.
 */
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { CheckOutcome } from "./checks";
import type { QueryPage } from "./fleetRead";
import type { WireEnrollment } from "./semantics";
import type { IdKey } from "./types";

/** How a kind's records look on the wire. */
export interface WireForm {
  /** The id property, the same in inputs, state and on the wire. */
  idKey: IdKey;
  /** X.509 certificates are signing certificates (groups) rather than the device's own. */
  signingCertificates: boolean;
}

/** An answer of the official client. */
export interface ClientResult {
  /** The parsed body. */
  responseBody: unknown;
}

/** The official client's calls for one kind. */
export interface KindCalls {
  /** GET the record. */
  get(client: ProvisioningServiceClient, id: string): Promise<ClientResult>;
  /** POST .../attestationmechanism: the attestation with its keys. */
  attestation(client: ProvisioningServiceClient, id: string): Promise<ClientResult>;
  /** PUT the record (etag in the body becomes If-Match). */
  put(client: ProvisioningServiceClient, record: WireEnrollment): Promise<ClientResult>;
  /** DELETE the record. */
  delete(client: ProvisioningServiceClient, id: string): Promise<void>;
  /** POST .../query: one page of `pageSize` records, from the start when `token` is undefined. */
  query(client: ProvisioningServiceClient, pageSize: number, token: string | undefined): Promise<QueryPage>;
}

/** One page of `query`: a fresh query per page, because `Query.next()` without a token restarts from the first page. */
export async function pageOf(
  query: ReturnType<ProvisioningServiceClient["createIndividualEnrollmentQuery"]>,
  token: string | undefined,
): Promise<QueryPage> {
  const result = token === undefined ? await query.next() : await query.next(token);
  return {
    items: result.responseBody as unknown as WireEnrollment[],
    token: query.hasMoreResults ? query.continuationToken : undefined,
  };
}

/** A kind of enrollment. */
export interface EnrollmentKind extends WireForm {
  /** The resource's class name, for messages (`IndividualEnrollment`). */
  resource: string;
  /** How messages name one record, capitalized (`Enrollment`, `Enrollment group`). */
  noun: string;
  /** The `check` of this kind: canonical inputs and failures. Pure. */
  check(raw: Record<string, unknown>): CheckOutcome;
  /** The client calls. */
  calls: KindCalls;
}
