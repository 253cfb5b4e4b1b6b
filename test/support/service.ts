/** Reading enrollments back with the official client, as the end-to-end tests check the service. */
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EmulatorHandle } from "../../emulator";
import { CONFIG_NAMESPACE } from "../../provider/dynamic/stackConnection";
import { createServiceClient } from "../../provider/core/transport";
import type { ConfigInput } from "./engine";

/** What a connection to an emulator needs: an in-process {@link EmulatorHandle}, or one in its own process. */
export type EmulatorAddress = Pick<EmulatorHandle, "connectionString" | "endpoint" | "caCertificate">;

/** The `connection` of a resource (and of the official client) for a running emulator. */
export function emulatorConnection(emu: EmulatorAddress): {
  connectionString: string;
  endpoint: string;
  caCertificate: string;
} {
  return { connectionString: emu.connectionString, endpoint: emu.endpoint, caCertificate: emu.caCertificate };
}

/**
 * The emulator's connection as stack config (`dps-enrollments:*`, the connection string secret), for
 * enrollments declared without `connection`.
 */
export function emulatorStackConfig(emu: EmulatorAddress): Record<string, ConfigInput> {
  const config: Record<string, ConfigInput> = {};
  for (const [key, value] of Object.entries(emulatorConnection(emu))) {
    config[`${CONFIG_NAMESPACE}:${key}`] = key === "connectionString" ? { value, secret: true } : value;
  }
  return config;
}

/** The official client for a running emulator, to write out of band and read back. */
export function emulatorClient(emu: EmulatorHandle): ProvisioningServiceClient {
  return createServiceClient(emulatorConnection(emu));
}

/** Exports the `DPS_EMULATOR_*` variables the example programs read; returns what restores the environment. */
export function useEmulatorEnv(emu: EmulatorHandle): () => void {
  const saved = { ...process.env };
  process.env.DPS_EMULATOR_CONNECTION_STRING = emu.connectionString;
  process.env.DPS_EMULATOR_ENDPOINT = emu.endpoint;
  process.env.DPS_EMULATOR_CA = emu.caCertificate;
  return () => {
    process.env = saved;
  };
}

/**
 * The enrollment as the service returns it, typed as `T` (each test declares the fields it reads),
 * or `undefined` when the service answers 404.
 */
export async function readEnrollment<T>(
  client: ProvisioningServiceClient,
  id: string,
): Promise<T | undefined> {
  try {
    return (await client.getIndividualEnrollment(id)).responseBody as unknown as T;
  } catch (err) {
    if ((err as { response?: { statusCode?: number } }).response?.statusCode === 404) return undefined;
    throw err;
  }
}
