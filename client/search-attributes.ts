// clinsynth's search attributes on a server: found by a visibility query, registered only where that is allowed,
// and otherwise a message saying exactly what to create (tcld or the Cloud UI, or `temporal operator`).
import type { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/contract.js';
import { CONNECT_TIMEOUT_MS, connectionFailure, isCloudAddress, type TemporalTargetSettings } from './connection.js';

/** The namespace lacks search attributes this connection may not create: the message says how to create them. */
export class SearchAttributesMissingError extends Error {
  constructor(
    readonly missing: string[],
    message: string,
  ) {
    super(message);
    this.name = 'SearchAttributesMissingError';
  }
}

const NAMES = Object.values(SEARCH_ATTRIBUTES);

/** The ones a visibility query on them refuses (INVALID_ARGUMENT: not a valid search attribute). */
export async function missingSearchAttributes(connection: Connection, s: TemporalTargetSettings): Promise<string[]> {
  const missing: string[] = [];
  for (const name of NAMES) {
    try {
      await connection.withDeadline(Date.now() + CONNECT_TIMEOUT_MS, () =>
        connection.workflowService.countWorkflowExecutions({ namespace: s.namespace, query: `${name} = 'probe'` }),
      );
    } catch (e) {
      if ((e as { code?: number }).code === 3)
        missing.push(name); // INVALID_ARGUMENT
      else throw await connectionFailure(s, e);
    }
  }
  return missing;
}

/**
 * Makes sure the namespace has clinsynth's search attributes: nothing to do when they exist (the case on Cloud
 * once they are created, and for users without operator rights); else registers them, and where the server refuses
 * (PERMISSION_DENIED, Cloud) throws SearchAttributesMissingError with the commands to create them.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  s: TemporalTargetSettings,
  log: (line: string) => void = () => {},
): Promise<void> {
  const missing = await missingSearchAttributes(connection, s);
  if (!missing.length) return;
  if (isCloudAddress(s.address))
    throw missingError(missing, s, 'Temporal Cloud namespaces take them from tcld or the Cloud UI');
  for (const name of missing) {
    try {
      await connection.withDeadline(
        Date.now() + CONNECT_TIMEOUT_MS,
        () =>
          connection.operatorService.addSearchAttributes({ namespace: s.namespace, searchAttributes: { [name]: 2 } }), // 2 = KEYWORD
      );
      log(`registered search attribute ${name} (Keyword) on namespace ${s.namespace}`);
    } catch (e) {
      const msg = String((e as Error).message ?? e);
      if (/already exists|AlreadyExists/i.test(msg)) continue;
      const code = (e as { code?: number }).code;
      if (
        code === 7 ||
        code === 12 ||
        code === 16 ||
        /PERMISSION_DENIED|UNIMPLEMENTED|unauthori[sz]ed|40[13]/i.test(msg)
      )
        throw missingError(missing, s, `the server refused to add them (${msg.slice(0, 160)})`);
      throw new Error(`could not register search attribute ${name} on ${s.address}: ${msg}`, { cause: e });
    }
  }
}

/** What to create, how, for Cloud and for a self-hosted server. */
export function missingError(missing: string[], s: TemporalTargetSettings, why: string): SearchAttributesMissingError {
  const cloud = isCloudAddress(s.address);
  const lines = [
    `namespace "${s.namespace}" on ${s.address} lacks clinsynth's search attributes ${missing.join(', ')} (type Keyword), and this connection may not create them: ${why}.`,
    'Create them once (someone with admin rights on the namespace), then run again:',
  ];
  const tcld = `  tcld namespace search-attributes add --namespace ${s.namespace} ${missing.map((n) => `--search-attribute "${n}=Keyword"`).join(' ')}`;
  const cloudUi = `  or in the Cloud UI: https://cloud.temporal.io/namespaces/${s.namespace} → Custom Search Attributes → add ${missing.map((n) => `${n} (Keyword)`).join(', ')}`;
  const cli = `  temporal operator search-attribute create --address ${s.address} --namespace ${s.namespace} ${missing.map((n) => `--name ${n} --type Keyword`).join(' ')}`;
  if (cloud) lines.push(tcld, cloudUi);
  else lines.push(cli, `  (on Temporal Cloud:${tcld.slice(1)})`);
  return new SearchAttributesMissingError(missing, lines.join('\n'));
}
