// Drives Microsoft's device SDK (azure-iot-provisioning-device over its HTTP transport) against the
// emulator. The SDK's `provisioningHost` is a host name it reaches on port 443; the transport's HTTP
// layer takes an `https.Agent` (setOptions({http: {agent}})), and an agent's own options override the
// request's when it opens a connection: so an agent with {host: 127.0.0.1, port, ca} sends the SDK's
// requests to the emulator, trusting its CA, while TLS still checks the DPS host name (in the
// emulator's certificate).
import assert from "node:assert/strict";
import { Agent } from "node:https";
import { Http as HttpBase } from "azure-iot-http-base";
import { ProvisioningDeviceClient, type RegistrationResult } from "azure-iot-provisioning-device";
import { Http } from "azure-iot-provisioning-device-http";
import { SymmetricKeySecurityClient } from "azure-iot-security-symmetric-key";
import { TpmSecurityClient } from "azure-iot-security-tpm";
import { X509Security } from "azure-iot-security-x509";
import type { EmulatorHandle } from "../../emulator";

/** The SDK's HTTP transport, pointed at `emu`. */
export function deviceTransport(emu: EmulatorHandle): Http {
  const base = new HttpBase();
  // keepAlive off: each request on its own connection, as the SDK does by default.
  base.setOptions({
    http: { agent: new Agent({ host: "127.0.0.1", port: emu.port, ca: emu.caCertificatePem }) },
  });
  return new Http(base);
}

/** What a device provides to register. */
export type DeviceCredential = { symmetricKey: string } | { certificatePem: string; privateKeyPem: string };

/** A TPM device's registration state: the SDK returns it with the service's `tpm.authenticationKey`. */
export type TpmRegistrationResult = RegistrationResult & { tpm?: { authenticationKey?: string } };

/**
 * Registers the TPM on 127.0.0.1:2323 (a software TPM) with a fresh SDK client and returns the
 * registration state: the SDK computes the registration id from the endorsement key unless
 * `registrationId` is given.
 */
export async function registerTpm(
  emu: EmulatorHandle,
  options: { registrationId?: string; payload?: object; security?: TpmSecurityClient } = {},
): Promise<TpmRegistrationResult> {
  const security = options.security ?? new TpmSecurityClient(options.registrationId);
  const client = ProvisioningDeviceClient.create(emu.hostName, emu.idScope, deviceTransport(emu), security);
  if (options.payload) client.setProvisioningPayload(options.payload);
  try {
    // The SDK's TPM registration returns the whole operation, its other attestations the state.
    const operation = (await client.register()) as unknown as { registrationState: TpmRegistrationResult };
    return operation.registrationState;
  } finally {
    if (!options.security) closeTpm(security);
  }
}

/**
 * Closes the security client's connection to the TPM. swtpm serves one connection at a time and the
 * SDK offers no close, so this reaches its (private) tss.js TPM object.
 */
export function closeTpm(security: TpmSecurityClient): void {
  (security as unknown as { _tpm: { close(): void } })._tpm.close();
}

/** Registers `registrationId` with the device SDK, optionally sending a custom allocation payload. */
export async function registerDevice(
  emu: EmulatorHandle,
  registrationId: string,
  credential: DeviceCredential,
  payload?: object,
): Promise<RegistrationResult> {
  const security =
    "symmetricKey" in credential
      ? new SymmetricKeySecurityClient(registrationId, credential.symmetricKey)
      : new X509Security(registrationId, { cert: credential.certificatePem, key: credential.privateKeyPem });
  const client = ProvisioningDeviceClient.create(emu.hostName, emu.idScope, deviceTransport(emu), security);
  if (payload) client.setProvisioningPayload(payload);
  return (await client.register()) as RegistrationResult;
}

/** Asserts the SDK's registration fails with the service's 401 (errorCode 401002) and a message matching `message`. */
export async function refused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { response?: { statusCode?: number } }) => {
    assert.equal(err.name, "UnauthorizedError", err.message);
    assert.equal(err.response?.statusCode, 401);
    assert.match(err.message, /"errorCode":401002/);
    assert.match(err.message, message);
    return true;
  });
}
