/**
 * The thin I/O adapter between the provider and one DPS: the four calls of one kind of enrollment,
 * on the official client's REST layer at api-version 2026-11-01 (dataPlane.ts), with retries, adaptive pacing and service errors made readable. One
 * client per connection per process, so keep-alive connections are reused across resources and kinds.
 */
import type { DataPlaneClient } from "./dataPlane";
import type { CollectionPath } from "./wire";
import type { EnrollmentKind } from "./kind";
import type { EnrollmentConnection } from "./types";
import type { WireAttestation, WireEnrollment } from "./wire";
import { connectionHostName, parseConnectionString } from "./connectionString";
import { DpsServiceError, statusOf } from "./errors";
import { FleetReader, QUERY_PAGE_SIZE } from "./fleetRead";
import type { QueryPage } from "./wire";
import { failureInfo, isTransient, withRetries, type RetryOptions } from "./retry";
import { resolveConnection } from "./stackConnection";
import { createDataPlaneClient } from "./transport";

/** A PUT that failed after an earlier attempt may already have been applied (a dropped answer). */
export class AmbiguousWriteError extends DpsServiceError {
  /** True: an earlier attempt of this write failed in a way that does not prove it was not applied. */
  readonly retried = true;
}

const clients = new Map<string, DataPlaneClient>();
/** One fleet reader per connection and kind, shared by every resource this process refreshes. */
const readers = new Map<string, FleetReader>();

/** Operations on the enrollments of one kind in one DPS. */
export class EnrollmentService {
  /** The DPS host name, which keys the shared pacing. */
  readonly hostName: string;
  private readonly retry: RetryOptions;
  private readonly noun: string;
  private readonly collection: CollectionPath;
  private readonly idKey: EnrollmentKind["idKey"];
  private reader: FleetReader | undefined;

  /**
   * Use {@link EnrollmentService.for}; the constructor is for tests that bring their own client.
   *
   * @param secrets - Secrets of the connection (the policy key), masked in every error message.
   */
  constructor(
    private readonly client: DataPlaneClient,
    hostName: string,
    kind: Pick<EnrollmentKind, "collection" | "noun" | "idKey">,
    retry: RetryOptions = {},
    private readonly secrets: readonly (string | undefined)[] = [],
  ) {
    this.hostName = hostName;
    this.retry = { ...retry, pacingKey: hostName.toLowerCase() };
    this.noun = kind.noun.toLowerCase();
    this.collection = kind.collection;
    this.idKey = kind.idKey;
  }

  /**
   * The service of `kind` for a connection (or a reference to the stack config's); the client is
   * created once per process and connection.
   */
  static for(given: EnrollmentConnection | undefined, kind: EnrollmentKind): EnrollmentService {
    // A reference (what state keeps when the stack config gives the connection) resolves to the config's.
    const connection = resolveConnection(given);
    const key = JSON.stringify([
      connection.connectionString,
      connection.hostName,
      connection.credential,
      connection.endpoint,
      connection.caCertificate,
    ]);
    let client = clients.get(key);
    if (!client) {
      client = createDataPlaneClient(connection);
      clients.set(key, client);
    }
    const policyKey = connection.connectionString
      ? parseConnectionString(connection.connectionString).key
      : undefined;
    const service = new EnrollmentService(client, connectionHostName(connection) ?? "dps", kind, {}, [
      policyKey,
    ]);
    const readerKey = `${kind.resource} ${key}`;
    let reader = readers.get(readerKey);
    if (!reader) {
      reader = new FleetReader(
        { page: (token) => service.page(token), get: (id) => service.get(id) },
        (record) => record[kind.idKey],
      );
      readers.set(readerKey, reader);
    }
    service.reader = reader;
    return service;
  }

  /**
   * The record for a refresh: from the pages of a query when this process reads many records of
   * this DPS (see fleetRead.ts), else one GET. `undefined` when it does not exist.
   */
  async read(id: string): Promise<WireEnrollment | undefined> {
    return this.reader ? this.reader.read(id) : this.get(id);
  }

  /** One page of the records of this kind (keys hidden, as in a GET). */
  async page(token: string | undefined): Promise<QueryPage> {
    try {
      return await withRetries(() => this.client.query(this.collection, QUERY_PAGE_SIZE, token), this.retry);
    } catch (error) {
      throw new DpsServiceError(`query of ${this.noun}s`, error, this.secrets, this.hostName);
    }
  }

  /** GET the record; `undefined` when it does not exist. */
  async get(id: string): Promise<WireEnrollment | undefined> {
    try {
      return await withRetries(() => this.client.get(this.collection, id), this.retry);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new DpsServiceError(`get of ${this.noun} "${id}"`, error, this.secrets, this.hostName);
    }
  }

  /** The attestation with its secrets (`POST .../attestationmechanism`), the only way to read symmetric keys. */
  async attestation(id: string): Promise<WireAttestation> {
    try {
      return await withRetries(() => this.client.attestation(this.collection, id), this.retry);
    } catch (error) {
      throw new DpsServiceError(`read of the attestation of "${id}"`, error, this.secrets, this.hostName);
    }
  }

  /**
   * PUT the enrollment. With `enrollment.etag` the service applies it only to that version (412
   * otherwise); without it, only when the enrollment does not exist (409 otherwise).
   */
  async put(enrollment: WireEnrollment): Promise<WireEnrollment> {
    let retried = false;
    const id = String(enrollment[this.idKey]);
    this.reader?.wrote(id);
    try {
      return await withRetries(async () => {
        try {
          return await this.client.put(this.collection, id, enrollment);
        } catch (error) {
          if (isTransient(failureInfo(error))) retried = true;
          throw error;
        }
      }, this.retry);
    } catch (error) {
      const what = `write of ${this.noun} "${id}"`;
      const keys = enrollment.attestation?.symmetricKey;
      const secrets = [...this.secrets, keys?.primaryKey, keys?.secondaryKey];
      if (retried && (statusOf(error) === 409 || statusOf(error) === 412))
        throw new AmbiguousWriteError(what, error, secrets, this.hostName);
      throw new DpsServiceError(what, error, secrets, this.hostName);
    }
  }

  /** DELETE the record; false when it was already gone. */
  async delete(id: string): Promise<boolean> {
    this.reader?.wrote(id);
    try {
      await withRetries(() => this.client.delete(this.collection, id), this.retry);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw new DpsServiceError(`delete of ${this.noun} "${id}"`, error, this.secrets, this.hostName);
    }
  }
}
