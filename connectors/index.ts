import type { ConnectorDefinition } from '../src/sdk/index.ts';
import crm from './crm/index.ts';
import file from './file/index.ts';
import googleSheets from './google_sheets/index.ts';
import http from './http/index.ts';
import hubspot from './hubspot/index.ts';
import kafka from './kafka/index.ts';
import slack from './slack/index.ts';
import wassenger from './wassenger/index.ts';

/** The built-in connector types. Each imports only the public SDK, like a custom module. */
export const builtinConnectors: readonly ConnectorDefinition[] = [
  file,
  http,
  kafka,
  slack,
  hubspot,
  crm,
  wassenger,
  googleSheets,
] as unknown as readonly ConnectorDefinition[];
