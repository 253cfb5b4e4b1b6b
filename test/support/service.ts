/** Reading enrollments back with the official client, as the end-to-end tests check the service. */
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";

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
