/**
 * The thin I/O adapter between the provider and one DPS: the four enrollment calls, through the
 * official client, with retries, adaptive pacing and service errors made readable. One client per
 * connection per process, so keep-alive connections are reused across resources.
 */
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EnrollmentConnection } from "./types";
import type { WireAttestation, WireEnrollment } from "./semantics";
import { connectionHostName, parseConnectionString } from "./connectionString";
import { DpsServiceError, statusOf } from "./errors";
import { failureInfo, isTransient, withRetries, type RetryOptions } from "./retry";
import { createServiceClient } from "./transport";

/** A PUT that failed after an earlier attempt may already have been applied (a dropped answer). */
export class AmbiguousWriteError extends DpsServiceError {
  /** True: an earlier attempt of this write failed in a way that does not prove it was not applied. */
  readonly retried = true;
}

const services = new Map<string, EnrollmentService>();

/** Enrollment operations on one DPS. */
export class EnrollmentService {
  /** The DPS host name, which keys the shared pacing. */
  readonly hostName: string;
  private readonly retry: RetryOptions;

  /**
   * Use {@link EnrollmentService.for}; the constructor is for tests that bring their own client.
   *
   * @param secrets - Secrets of the connection (the policy key), masked in every error message.
   */
  constructor(
    private readonly client: ProvisioningServiceClient,
    hostName: string,
    retry: RetryOptions = {},
    private readonly secrets: readonly (string | undefined)[] = [],
  ) {
    this.hostName = hostName;
    this.retry = { ...retry, pacingKey: hostName.toLowerCase() };
  }

  /** The service for a connection, created once per process. */
  static for(connection: EnrollmentConnection): EnrollmentService {
    const key = JSON.stringify([
      connection.connectionString,
      connection.hostName,
      connection.credential,
      connection.endpoint,
      connection.caCertificate,
    ]);
    let service = services.get(key);
    if (!service) {
      const policyKey = connection.connectionString
        ? parseConnectionString(connection.connectionString).key
        : undefined;
      service = new EnrollmentService(
        createServiceClient(connection),
        connectionHostName(connection) ?? "dps",
        {},
        [policyKey],
      );
      services.set(key, service);
    }
    return service;
  }

  /** GET the enrollment; `undefined` when it does not exist. */
  async get(registrationId: string): Promise<WireEnrollment | undefined> {
    try {
      const result = await withRetries(() => this.client.getIndividualEnrollment(registrationId), this.retry);
      return result.responseBody as unknown as WireEnrollment;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new DpsServiceError(`get of enrollment "${registrationId}"`, error, this.secrets, this.hostName);
    }
  }

  /** The attestation with its secrets (`POST .../attestationmechanism`), the only way to read symmetric keys. */
  async attestation(registrationId: string): Promise<WireAttestation> {
    try {
      const result = await withRetries(
        () => this.client.getIndividualEnrollmentAttestationMechanism(registrationId),
        this.retry,
      );
      return result.responseBody as unknown as WireAttestation;
    } catch (error) {
      throw new DpsServiceError(
        `read of the attestation of "${registrationId}"`,
        error,
        this.secrets,
        this.hostName,
      );
    }
  }

  /**
   * PUT the enrollment. With `enrollment.etag` the service applies it only to that version (412
   * otherwise); without it, only when the enrollment does not exist (409 otherwise).
   */
  async put(enrollment: WireEnrollment): Promise<WireEnrollment> {
    let retried = false;
    try {
      const result = await withRetries(async () => {
        try {
          return await this.client.createOrUpdateIndividualEnrollment(enrollment as never);
        } catch (error) {
          if (isTransient(failureInfo(error))) retried = true;
          throw error;
        }
      }, this.retry);
      return result.responseBody as unknown as WireEnrollment;
    } catch (error) {
      const what = `write of enrollment "${enrollment.registrationId}"`;
      const keys = enrollment.attestation?.symmetricKey;
      const secrets = [...this.secrets, keys?.primaryKey, keys?.secondaryKey];
      if (retried && (statusOf(error) === 409 || statusOf(error) === 412))
        throw new AmbiguousWriteError(what, error, secrets, this.hostName);
      throw new DpsServiceError(what, error, secrets, this.hostName);
    }
  }

  /** DELETE the enrollment; false when it was already gone. */
  async delete(registrationId: string): Promise<boolean> {
    try {
      await withRetries(() => this.client.deleteIndividualEnrollment(registrationId), this.retry);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw new DpsServiceError(
        `delete of enrollment "${registrationId}"`,
        error,
        this.secrets,
        this.hostName,
      );
    }
  }
}
