/**
 * Attribute names otel-audit writes on records, in one place. Names under
 * `audit.` follow the OpenTelemetry Audit Logging SIG's draft vocabulary where
 * the meaning matches; names it does not define are otel-audit's own and are
 * documented in docs/receiver.md and docs/integrity.md.
 */

/** Who sent the record, as the receiver's authenticator established it (`bearer:<digest>`, `x509:<subject>`). */
export const ATTR_CLIENT_IDENTITY = 'audit.client.identity';
/** The network peer the record came from (IP address, or `unix` for a unix socket). */
export const ATTR_CLIENT_ADDRESS = 'audit.client.address';
/** The protocol it came by: `otlp/grpc`, `otlp/http+protobuf`, `otlp/http+json`. */
export const ATTR_CLIENT_PROTOCOL = 'audit.client.protocol';

/** Attributes a sender must not set itself: the receiver replaces them. */
export const RECEIVER_OWNED_ATTRIBUTES: readonly string[] = [
  ATTR_CLIENT_IDENTITY,
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PROTOCOL,
];
