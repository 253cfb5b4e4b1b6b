// The DPS's CA certificates (control plane: uploaded and verified in the DPS resource), which
// enrollment groups name in `x509.caReferences`. The emulator has no control plane: they are given at
// start (`--ca NAME=PEMFILE`, `caCertificates`) and count as verified.
import type { X509Certificate } from "node:crypto";
import { parseCertificate } from "../validation";

/** Verified CA certificates by name, looked up case-insensitively (Azure resource names are). */
export type CaRegistry = ReadonlyMap<string, X509Certificate>;

/** The registry key of a CA name. */
export function caKey(name: string): string {
  return name.toLowerCase();
}

/**
 * Parses the CA certificates given at start, by name. Throws naming the CA when a name is empty or
 * repeated, or its text is not a CA certificate (PEM or base64 DER, basic constraints CA:TRUE).
 */
export function caRegistry(certificates: Readonly<Record<string, string>> = {}): CaRegistry {
  const registry = new Map<string, X509Certificate>();
  for (const [name, text] of Object.entries(certificates)) {
    if (name.trim() === "") throw new Error("A CA certificate needs a name: give NAME=PEMFILE.");
    if (registry.has(caKey(name))) throw new Error(`The CA name '${name}' is given twice.`);
    const cert = parseCertificate(text);
    if (!cert) throw new Error(`The CA '${name}' is not an X.509 certificate (PEM or base64 DER).`);
    if (!cert.ca) {
      throw new Error(
        `The CA '${name}' is not a CA certificate (basic constraints CA:TRUE): it cannot sign device certificates.`,
      );
    }
    registry.set(caKey(name), cert);
  }
  return registry;
}

/** The CA certificates an enrollment group's `caReferences` name, and the names the registry lacks. */
export function referencedCas(
  refs: readonly string[],
  registry: CaRegistry,
): { found: X509Certificate[]; unknown: string[] } {
  const found: X509Certificate[] = [];
  const unknown: string[] = [];
  for (const name of refs) {
    const cert = registry.get(caKey(name));
    if (cert) found.push(cert);
    else unknown.push(name);
  }
  return { found, unknown };
}
