import { resolve } from 'node:path';
import { defineConnector, templateScope, type Delivery } from '../../src/sdk/index.ts';
import { parseRange } from './a1.ts';
import { toCell } from './cells.ts';
import { createSheetsApi, type SheetsApi, type SheetsAuth } from './client.ts';
import { SheetsConfig, SheetsParams } from './config.ts';
import { readCredentialsFile } from './credentials.ts';
import { renderRange, SheetWriter } from './writer.ts';

/** Append (or upsert) one row per event to a Google Sheet, many rows per API call. */
export default defineConnector({
  sdkVersion: 1,
  type: 'google_sheets',
  summary: 'Append one row per event to a Google Sheet (many rows per call), or update the row of the same contact.',
  config: SheetsConfig,
  params: SheetsParams,
  examples: [
    {
      title: 'Inbound messages as rows, with a service account',
      config: {
        spreadsheetId: '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg',
        range: 'Messages!A:E',
        credentialsFile: '${GOOGLE_CREDENTIALS}',
        row: ['{{ receivedAt }}', '{{ contact.phone }}', '{{ contact.name }}', '{{ message.body }}'],
      },
    },
    {
      title: 'One row per contact, matched to the header row, updated in place',
      config: {
        spreadsheetId: '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg',
        range: 'Contacts',
        credentialsFile: '${GOOGLE_CREDENTIALS}',
        mode: 'upsert',
        keyColumn: 'Phone',
        columns: {
          Phone: '{{ contact.phone }}',
          Name: '{{ contact.name }}',
          'Last message': '{{ message.body }}',
          'Last seen': '{{ receivedAt }}',
        },
      },
    },
  ],
  // One call at a time, up to 100 rows each: see README "Batching and quotas" for why the rate is
  // expressed in rows (deliveries) and what bounds the number of append calls per minute.
  delivery: { maxBatch: 100, maxInFlight: 1, callsPerSec: 0.5, timeoutMs: 30_000, backoffBaseMs: 2_000 },
  create(config, ctx) {
    let api: Promise<SheetsApi> | undefined;
    const getApi = (): Promise<SheetsApi> => {
      api ??= (async () => {
        let auth: SheetsAuth;
        if (config.credentialsFile !== undefined)
          auth = await readCredentialsFile(resolve(ctx.configDir, config.credentialsFile));
        else if (config.accessToken !== undefined) auth = { kind: 'accessToken', token: config.accessToken };
        else auth = { kind: 'refreshToken', ...config.oauth! };
        return createSheetsApi({ apiUrl: config.apiUrl, spreadsheetId: config.spreadsheetId, auth });
      })();
      api.catch(() => (api = undefined));
      return api;
    };
    const writer = new SheetWriter({ config, api: getApi, state: ctx.state, log: ctx.log });
    return {
      preview(delivery) {
        const d = delivery as Delivery<SheetsParams | undefined>;
        const range = renderRange(config, d);
        const scope = templateScope(d);
        const cell = (template: { render(scope: object): unknown }) =>
          toCell(template.render(scope), config.valueInputOption);
        return {
          spreadsheetId: config.spreadsheetId,
          range,
          tab: parseRange(range).sheet,
          mode: config.mode,
          valueInputOption: config.valueInputOption,
          ...(config.row
            ? { row: [...config.row.map(cell), ...(config.idColumn === false ? [] : [d.event.id])] }
            : {
                columns: {
                  ...Object.fromEntries(
                    Object.entries(config.columns!).map(([name, template]) => [name, cell(template)]),
                  ),
                  ...(config.idColumn === false ? {} : { [config.idColumn]: d.event.id }),
                },
              }),
        };
      },
      deliver: (batch, signal) => writer.deliver(batch, signal),
      async healthcheck(signal) {
        await (await getApi()).spreadsheet(signal);
      },
    };
  },
});
