// Names why a Temporal connection failed (authentication, client certificate, server name, unreachable, …) from
// the gRPC/TLS error and a plain HTTP/2 probe of the frontend, so a user reads the cause instead of a stack trace.
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

export type ConnectionCause =
  | 'authentication refused'
  | 'client certificate missing'
  | 'client certificate untrusted'
  | 'server certificate untrusted'
  | 'server name mismatch'
  | 'server does not speak TLS'
  | 'server expects TLS'
  | 'namespace not found'
  | 'unreachable'
  | 'connection failed';

/** What the connection was asked to do, for the hints in the message. */
export interface ConnectionContext {
  address: string;
  namespace: string;
  tls: boolean;
  clientCert: boolean;
  apiKey: boolean;
  serverName?: string;
  /** Where the settings came from ("TEMPORAL_* variables", "profile prod of ~/.config/temporalio/temporal.toml"). */
  origin: string;
}

/** A connection that could not be made: `cause` names why, the message says what to change. */
export class TemporalConnectionError extends Error {
  constructor(
    readonly reason: ConnectionCause,
    message: string,
  ) {
    super(message);
    this.name = 'TemporalConnectionError';
  }
}

/** Each cause: what to look for in the error texts (codes, gRPC statuses, nginx/Envoy/OpenSSL/rustls wordings). */
const RULES: { cause: ConnectionCause; when: RegExp; only?: (c: ConnectionContext) => boolean }[] = [
  { cause: 'namespace not found', when: /NamespaceNotFound|namespace\b.{0,80}\b(is )?not found|does not exist/i },
  {
    cause: 'unreachable',
    when: /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|connection refused|dns error|failed to lookup address|Name or service not known/i,
  },
  {
    cause: 'server name mismatch',
    when: /ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match|NotValidForName|not valid for name|certificate is not valid for/i,
  },
  {
    cause: 'server certificate untrusted',
    when: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|CERT_HAS_EXPIRED|CERT_UNTRUSTED|UnknownIssuer|invalid peer certificate|self[- ]signed certificate|unable to verify the first certificate/i,
  },
  {
    cause: 'client certificate missing',
    when: /No required SSL certificate was sent|CERTIFICATE_REQUIRED|certificate required|CertificateRequired|peer did not return a certificate/i,
  },
  {
    cause: 'client certificate missing',
    when: /The SSL certificate error|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN|bad certificate|unknown ca|BadCertificate|UnknownCA|HANDSHAKE_FAILURE|handshake failure/i,
    only: (c) => !c.clientCert,
  },
  {
    cause: 'client certificate untrusted',
    when: /The SSL certificate error|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN|bad certificate|unknown ca|BadCertificate|UnknownCA|HANDSHAKE_FAILURE|handshake failure|certificate verify failed/i,
  },
  {
    cause: 'server does not speak TLS',
    when: /WRONG_VERSION_NUMBER|wrong version number|packet length too long|InvalidContentType|CorruptMessage|received corrupt message|http_request/i,
    only: (c) => c.tls,
  },
  {
    cause: 'authentication refused',
    when: /UNAUTHENTICATED|PERMISSION_DENIED|\b16 UNAUTH|HTTP status code 40[13]|:status 40[13]|Request unauthorized|authentication failed|unauthorized|invalid api key|\bjwt\b/i,
  },
  {
    cause: 'server expects TLS',
    when: /ECONNRESET|socket hang up|Protocol error|GOAWAY|RST_STREAM|Connection closed|ERR_HTTP2|h2 protocol error|connection reset|HTTP status code 400|:status 400|broken pipe/i,
    only: (c) => !c.tls,
  },
  { cause: 'unreachable', when: /deadline|timed out|timeout|DEADLINE_EXCEEDED|did not answer/i },
];

/** The cause the texts of a failure (error chain and probe) point to; the first matching rule wins. */
export function classifyConnectionFailure(texts: string[], ctx: ConnectionContext): ConnectionCause {
  const all = texts.join('\n');
  for (const r of RULES) if ((!r.only || r.only(ctx)) && r.when.test(all)) return r.cause;
  return 'connection failed';
}

/** The sentence for a cause: what happened, where, and which setting to change. */
export function describeConnectionFailure(cause: ConnectionCause, ctx: ConnectionContext, detail: string): string {
  const at = `${ctx.address} (settings from ${ctx.origin})`;
  const why = detail ? ` [${detail}]` : '';
  switch (cause) {
    case 'authentication refused':
      return ctx.apiKey
        ? `authentication refused by ${at}: the server did not accept the API key — check TEMPORAL_API_KEY (or the profile's api_key)${why}`
        : `authentication refused by ${at}: the server wants credentials and none were sent — set TEMPORAL_API_KEY (or the profile's api_key)${why}`;
    case 'client certificate missing':
      return `client certificate missing: ${at} demands a client certificate (mTLS) and none was sent — set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (profile: tls.client_cert_path, tls.client_key_path)${why}`;
    case 'client certificate untrusted':
      return `client certificate untrusted: ${at} rejected the client certificate sent — use one issued by the CA the server trusts, with its matching key (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)${why}`;
    case 'server certificate untrusted':
      return `server certificate untrusted: the certificate of ${at} is not issued by a CA this client trusts — set TEMPORAL_TLS_SERVER_CA_CERT_PATH (profile: tls.server_ca_cert_path) to the CA that issued it${why}`;
    case 'server name mismatch':
      return `server name mismatch: the certificate of ${at} is not issued for ${ctx.serverName ?? hostOf(ctx.address)} — set TEMPORAL_TLS_SERVER_NAME (profile: tls.server_name) to a name it is issued for, or connect by that name${why}`;
    case 'server does not speak TLS':
      return `server does not speak TLS: ${at} answered in plaintext but TLS is on (an API key turns it on) — set TEMPORAL_TLS=false (profile: tls.disabled = true) or use the server's TLS port${why}`;
    case 'server expects TLS':
      return `server expects TLS: ${at} dropped a plaintext connection — set TEMPORAL_TLS=true (and the certificate settings it needs)${why}`;
    case 'namespace not found':
      return `namespace not found: "${ctx.namespace}" does not exist on ${at} — check TEMPORAL_NAMESPACE, --namespace or the profile's namespace${why}`;
    case 'unreachable':
      return `unreachable: nothing answers as a Temporal frontend at ${at} — check TEMPORAL_ADDRESS, --address or the profile's address, and that the server runs${why}`;
    default:
      return `could not connect to Temporal at ${at}${why}`;
  }
}

/** Every message and code in an error's cause chain (gRPC details, Node codes, nested causes). */
export function errorTexts(err: unknown): string[] {
  const out: string[] = [];
  let e = err as { message?: unknown; code?: unknown; details?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 8; depth++, e = e.cause as typeof e) {
    if (typeof e !== 'object') {
      out.push(String(e));
      break;
    }
    for (const v of [e.message, e.code, e.details]) if (v !== undefined && v !== null && v !== '') out.push(String(v));
  }
  return out;
}

export interface ProbeTarget {
  address: string;
  tls: boolean;
  serverName?: string;
  ca?: Uint8Array;
  cert?: Uint8Array;
  key?: Uint8Array;
  headers: Record<string, string>;
}

/**
 * Sends one empty GetSystemInfo over plain HTTP/2 (the way gRPC does) and describes what came back: the TLS or
 * socket error, or the HTTP status, grpc-status and the first bytes of a non-gRPC body (a proxy's error page).
 */
export async function probeFrontend(t: ProbeTarget, timeoutMs = 8000): Promise<string> {
  const host = hostOf(t.address);
  const url = `${t.tls ? 'https' : 'http'}://${isIP(host) === 6 ? `[${host}]` : host}:${portOf(t.address)}`;
  return new Promise<string>((resolve) => {
    let session: ClientHttp2Session | undefined;
    const finish = (s: string) => {
      clearTimeout(timer);
      session?.destroy();
      resolve(s);
    };
    const timer = setTimeout(() => finish(`probe: no answer within ${timeoutMs / 1000} s (timeout)`), timeoutMs);
    try {
      session = http2Connect(url, {
        ...(t.tls
          ? {
              ...(t.serverName || !isIP(host) ? { servername: t.serverName ?? host } : {}),
              ...(t.ca ? { ca: Buffer.from(t.ca) } : {}),
              ...(t.cert ? { cert: Buffer.from(t.cert) } : {}),
              ...(t.key ? { key: Buffer.from(t.key) } : {}),
              ...(t.serverName ? { checkServerIdentity: checkName(t.serverName) } : {}),
            }
          : {}),
      });
    } catch (e) {
      finish(`probe: ${errorTexts(e).join(' ')}`);
      return;
    }
    session.on('error', (e) => finish(`probe: ${errorTexts(e).join(' ')}`));
    const req = session.request({
      ':method': 'POST',
      ':path': '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...t.headers,
    });
    let status = 0;
    let grpc = '';
    let body = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
      if (h['grpc-status'] !== undefined) grpc = ` grpc-status ${h['grpc-status']} ${h['grpc-message'] ?? ''}`;
    });
    req.on('trailers', (h) => {
      if (h['grpc-status'] !== undefined) grpc = ` grpc-status ${h['grpc-status']} ${h['grpc-message'] ?? ''}`;
    });
    req.on('data', (d: Buffer) => {
      if (status !== 200 && body.length < 400) body += d.toString('utf8');
    });
    req.on('error', (e) => finish(`probe: ${errorTexts(e).join(' ')}`));
    req.on('end', () => {
      const text = body
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 200);
      finish(`probe: HTTP :status ${status}${grpc}${text ? ` ${text}` : ''}`);
    });
    req.end(Buffer.alloc(5)); // one gRPC frame: not compressed, zero-length message
  });
}

function checkName(name: string) {
  return (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert);
}

export function hostOf(address: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (m) return m[1]!;
  const i = address.lastIndexOf(':');
  return i > 0 && address.indexOf(':') === i ? address.slice(0, i) : address;
}

export function portOf(address: string, fallback = 7233): number {
  const m = /:(\d+)$/.exec(address);
  return m && (address.startsWith('[') || address.indexOf(':') === address.lastIndexOf(':')) ? Number(m[1]) : fallback;
}
