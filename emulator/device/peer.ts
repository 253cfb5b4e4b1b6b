// The client certificate chains of open TLS connections: read once per connection, at most
// MAX_CHAIN_CERTIFICATES + 1 certificates kept (one more than accepted, so an over-long chain is
// refused as such), and dropped when the connection closes. Nothing is kept per leaf or across
// connections, so clients that never authenticate cannot fill memory: what they hold is bounded by
// the connections they keep open, which the server's timeouts close. TLS session resumption is off
// (the server sets SSL_OP_NO_TICKET), so every connection presents its whole chain again.
import { X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import { MAX_CHAIN_CERTIFICATES } from "./chain";

/** What {@link PeerChains.held} reports. */
export interface HeldChains {
  /** Open connections whose chain is held. */
  connections: number;
  /** Certificates held over all of them. */
  certificates: number;
}

/** Client certificate chains, one per open TLS connection. */
export class PeerChains {
  private readonly chains = new Map<Socket, X509Certificate[]>();

  /**
   * The chain the client of `socket` presented in its TLS handshake, leaf first, cut after
   * `MAX_CHAIN_CERTIFICATES + 1` certificates; empty when it presented none or `socket` is not TLS.
   */
  of(socket: Socket): X509Certificate[] {
    const held = this.chains.get(socket);
    if (held) return held;
    const chain = readChain(socket as Partial<TLSSocket>);
    if (chain.length === 0 || socket.destroyed) return chain;
    this.chains.set(socket, chain);
    socket.once("close", () => this.chains.delete(socket));
    return chain;
  }

  /** How much is held now (for tests and diagnostics of the memory bound). */
  held(): HeldChains {
    let certificates = 0;
    for (const chain of this.chains.values()) certificates += chain.length;
    return { connections: this.chains.size, certificates };
  }
}

function readChain(socket: Partial<TLSSocket>): X509Certificate[] {
  if (typeof socket.getPeerCertificate !== "function") return [];
  const chain: X509Certificate[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert?.raw && !seen.has(cert.fingerprint256) && chain.length <= MAX_CHAIN_CERTIFICATES) {
    seen.add(cert.fingerprint256);
    chain.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}
