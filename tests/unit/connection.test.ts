// Connection settings (envconfig variables, temporal.toml profiles, overrides, CLI flags), the Cloud UI link, the
// search-attribute instructions, and the classifier that names why a connection failed (texts seen for real).
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isCloudAddress,
  resolveSettings,
  takeConnectionFlags,
  TemporalConfigError,
  uiBaseFor,
  type TemporalTargetSettings,
} from '../../client/connection.js';
import { classifyConnectionFailure, type ConnectionContext } from '../../client/connection-errors.js';
import { missingError } from '../../client/search-attributes.js';
import { legacyPageWindow, pagesFillingSlots, pagesScheduled } from '../../lib/run/run-state.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/contract.js';

const dir = mkdtempSync(join(tmpdir(), 'clinsynth-conn-'));
const toml = join(dir, 'temporal.toml');
writeFileSync(join(dir, 'ca.pem'), 'CA');
writeFileSync(join(dir, 'c.pem'), 'CERT');
writeFileSync(join(dir, 'k.pem'), 'KEY');
writeFileSync(
  toml,
  `[profile.default]
address = "default.example:7233"

[profile.prod]
address = "prod.a1b2c.tmprl.cloud:7233"
namespace = "prod.a1b2c"
api_key = "from-file"
[profile.prod.tls]
server_name = "prod.example"
server_ca_cert_path = "${join(dir, 'ca.pem')}"
client_cert_path = "${join(dir, 'c.pem')}"
client_key_path = "${join(dir, 'k.pem')}"
[profile.prod.grpc_meta]
x-team = "nlp"
`,
);
const env = (e: Record<string, string>) => ({ HOME: dir, ...e });

describe('connection settings', () => {
  it('reads the TEMPORAL_* variables the temporal CLI reads; an API key turns TLS on', () => {
    const s = resolveSettings(
      {},
      env({
        TEMPORAL_ADDRESS: 'h:1',
        TEMPORAL_NAMESPACE: 'ns',
        TEMPORAL_API_KEY: 'k',
        TEMPORAL_GRPC_META_X_TEAM: 'nlp',
      }),
    );
    expect(s).toMatchObject({ address: 'h:1', namespace: 'ns', apiKey: 'k', tls: true, metadata: { 'x-team': 'nlp' } });
    const files = resolveSettings(
      {},
      env({
        TEMPORAL_ADDRESS: 'h:1',
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'c.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'k.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'srv',
      }),
    );
    expect(files.tls).toMatchObject({ serverNameOverride: 'srv', clientCertPair: { crt: expect.anything() } });
    expect(resolveSettings({}, env({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS: 'true' })).tls).toEqual({
      serverNameOverride: undefined,
      serverRootCACertificate: undefined,
      clientCertPair: undefined,
    });
  });

  it('without any setting: the embedded dev server (no address) and namespace default', () => {
    expect(resolveSettings({}, env({}))).toMatchObject({ address: undefined, namespace: 'default' });
  });

  it('takes a profile from TEMPORAL_CONFIG_FILE (TEMPORAL_PROFILE or the option), the variables over it, overrides over both', () => {
    const prod = resolveSettings({}, env({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' }));
    expect(prod).toMatchObject({
      address: 'prod.a1b2c.tmprl.cloud:7233',
      namespace: 'prod.a1b2c',
      apiKey: 'from-file',
      metadata: { 'x-team': 'nlp' },
    });
    expect(prod.tls).toMatchObject({ serverNameOverride: 'prod.example' });
    expect(resolveSettings({ profile: 'prod' }, env({ TEMPORAL_CONFIG_FILE: toml })).address).toBe(
      'prod.a1b2c.tmprl.cloud:7233',
    );
    expect(resolveSettings({}, env({ TEMPORAL_CONFIG_FILE: toml })).address).toBe('default.example:7233');
    const mixed = resolveSettings(
      { profile: 'prod' },
      env({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_NAMESPACE: 'other' }),
    );
    expect(mixed.namespace).toBe('other');
    const over = resolveSettings(
      { profile: 'prod', address: 'x:2', namespace: 'n2' },
      env({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_ADDRESS: 'y:3' }),
    );
    expect(over).toMatchObject({ address: 'x:2', namespace: 'n2', apiKey: 'from-file' });
  });

  it('reads the default path ~/.config/temporalio/temporal.toml', () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const cfg = join(home, '.config', 'temporalio');
    mkdirSync(cfg, { recursive: true });
    writeFileSync(join(cfg, 'temporal.toml'), '[profile.default]\naddress = "home.example:7233"\n');
    expect(resolveSettings({}, { HOME: home }).address).toBe('home.example:7233');
  });

  it('names what is wrong with the settings: an unknown profile, a missing file or certificate', () => {
    expect(() => resolveSettings({ profile: 'nope' }, env({ TEMPORAL_CONFIG_FILE: toml }))).toThrow(
      new TemporalConfigError(`${toml}: profile "nope" not found`),
    );
    expect(() => resolveSettings({}, env({ TEMPORAL_CONFIG_FILE: join(dir, 'none.toml') }))).toThrow(
      /TEMPORAL_CONFIG_FILE=.*none\.toml: no such file/,
    );
    expect(() =>
      resolveSettings(
        {},
        env({
          TEMPORAL_ADDRESS: 'h:1',
          TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem'),
          TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'k.pem'),
        }),
      ),
    ).toThrow(/certificate file missing: the certificate file .*missing\.pem/);
  });

  it('takes --profile/--address/--namespace out of a command line wherever they stand', () => {
    expect(
      takeConnectionFlags(['--profile', 'p', 'run', 'f.yaml', '--address=h:1', '--json', '--namespace', 'n']),
    ).toEqual({
      args: ['run', 'f.yaml', '--json'],
      overrides: { profile: 'p', address: 'h:1', namespace: 'n' },
    });
    expect(takeConnectionFlags(['status', 'x', '--', '--address', 'y']).args).toEqual([
      'status',
      'x',
      '--',
      '--address',
      'y',
    ]);
    expect(() => takeConnectionFlags(['run', '--address'])).toThrow('--address needs a value');
    expect(() => takeConnectionFlags(['--profile', '--json'])).toThrow('--profile needs a value');
  });

  it('links Cloud namespaces to the Cloud UI, others to the server UI', () => {
    expect(isCloudAddress('prod.a1b2c.tmprl.cloud:7233')).toBe(true);
    expect(isCloudAddress('us-east-1.aws.api.temporal.io:7233')).toBe(true);
    expect(isCloudAddress('temporal.internal:7233')).toBe(false);
    expect(uiBaseFor('prod.a1b2c.tmprl.cloud:7233', {})).toBe('https://cloud.temporal.io');
    expect(uiBaseFor('127.0.0.1:7233', {})).toBe('http://localhost:8233');
    expect(uiBaseFor('temporal.internal:7233', {})).toBe('http://temporal.internal:8233');
    expect(uiBaseFor('prod.a1b2c.tmprl.cloud:7233', { CLINSYNTH_UI_URL: 'https://ui.example' })).toBe(
      'https://ui.example',
    );
  });

  it('says exactly what to create when the search attributes are missing: tcld and the Cloud UI on Cloud', () => {
    const cloud: TemporalTargetSettings = {
      address: 'prod.a1b2c.tmprl.cloud:7233',
      namespace: 'prod.a1b2c',
      origin: 'x',
    };
    const m = missingError(['ClinsynthStage', 'ClinsynthStudy'], cloud, 'why').message;
    expect(m).toContain(
      'tcld namespace search-attributes add --namespace prod.a1b2c --search-attribute "ClinsynthStage=Keyword" --search-attribute "ClinsynthStudy=Keyword"',
    );
    expect(m).toContain('https://cloud.temporal.io/namespaces/prod.a1b2c');
    expect(m).not.toContain('temporal operator');
    const self = missingError(['ClinsynthStage'], { address: 'h:1', namespace: 'ns', origin: 'x' }, 'why').message;
    expect(self).toContain(
      'temporal operator search-attribute create --address h:1 --namespace ns --name ClinsynthStage --type Keyword',
    );
  });
});

const ctx = (c: Partial<ConnectionContext> = {}): ConnectionContext => ({
  address: 'h:1',
  namespace: 'default',
  tls: true,
  clientCert: true,
  apiKey: true,
  origin: 'test',
  ...c,
});

describe('why a connection failed', () => {
  // Texts as grpc-js, the worker's Rust core and the HTTP/2 probe gave them against nginx and the dev server.
  it.each([
    [
      ['Received HTTP status code 401', 'probe: HTTP :status 401 401 Authorization Required nginx/1.22.1'],
      ctx(),
      'authentication refused',
    ],
    [['16 UNAUTHENTICATED: Request unauthorized.'], ctx(), 'authentication refused'],
    [['7 PERMISSION_DENIED: Request unauthorized.'], ctx(), 'authentication refused'],
    [
      ['Received HTTP status code 400', 'probe: HTTP :status 400 400 No required SSL certificate was sent'],
      ctx({ clientCert: false }),
      'client certificate missing',
    ],
    [['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'], ctx({ clientCert: false }), 'client certificate missing'],
    [['probe: HTTP :status 400 400 The SSL certificate error'], ctx(), 'client certificate untrusted'],
    [['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA tlsv1 alert unknown ca'], ctx(), 'client certificate untrusted'],
    [
      ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA tlsv1 alert unknown ca'],
      ctx({ clientCert: false }),
      'client certificate missing',
    ],
    [
      [
        'Failed to connect before the deadline',
        'probe: unable to verify the first certificate UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      ],
      ctx(),
      'server certificate untrusted',
    ],
    [
      [
        'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))',
      ],
      ctx(),
      'server certificate untrusted',
    ],
    [
      ["probe: Hostname/IP does not match certificate's altnames: Host: x. is not in the cert's altnames"],
      ctx(),
      'server name mismatch',
    ],
    [['InvalidCertificate(NotValidForNameContext { expected: DnsName("x") })'], ctx(), 'server name mismatch'],
    [['probe: ssl3_get_record:wrong version number'], ctx(), 'server does not speak TLS'],
    [['InvalidMessage(InvalidContentType)'], ctx(), 'server does not speak TLS'],
    [
      ['Failed to connect before the deadline', 'probe: Protocol error ERR_HTTP2_ERROR'],
      ctx({ tls: false }),
      'server expects TLS',
    ],
    [['h2 protocol error: http2 error GoAway FRAME_SIZE_ERROR'], ctx({ tls: false }), 'server expects TLS'],
    [['probe: connect ECONNREFUSED 127.0.0.1:1 ECONNREFUSED'], ctx(), 'unreachable'],
    [['getaddrinfo ENOTFOUND nowhere.example'], ctx(), 'unreachable'],
    [['Failed to connect before the deadline', 'probe: no answer within 8 s (timeout)'], ctx(), 'unreachable'],
    [['5 NOT_FOUND: Namespace nope is not found.'], ctx(), 'namespace not found'],
    [['something else entirely'], ctx(), 'connection failed'],
  ] as const)('%j %o → %s', (texts, c, cause) => {
    expect(classifyConnectionFailure([...texts], c)).toBe(cause);
  });
});

describe('what a self-run server needs (docs/connecting.md)', () => {
  it('the three Keyword search attributes the docs name', () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/connecting.md'), 'utf8');
    expect(Object.values(SEARCH_ATTRIBUTES)).toEqual(['ClinsynthExperiment', 'ClinsynthStage', 'ClinsynthStudy']);
    for (const name of Object.values(SEARCH_ATTRIBUTES)) expect(doc).toContain(`--name ${name} --type Keyword`);
  });

  it("no pending-activities change: a run's window stays at most 13, far below Temporal's default 2,000", () => {
    let most = 0;
    for (let c = 1; c <= 512; c++)
      most = Math.max(most, pagesScheduled(c), pagesFillingSlots(c), legacyPageWindow(c, true));
    expect(pagesScheduled(512)).toBe(13);
    expect(most).toBeLessThan(2000);
  });
});
