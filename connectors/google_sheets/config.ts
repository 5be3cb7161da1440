/** Config and route parameters of the google_sheets connector. */
import { template, z } from '../../src/sdk/index.ts';
import { columnNumber } from './a1.ts';

const OAuthConfig = z
  .object({
    clientId: z.string().min(1).describe('OAuth client id.'),
    clientSecret: z.string().min(1).describe('OAuth client secret (use ${VAR}).'),
    refreshToken: z
      .string()
      .min(1)
      .describe('Refresh token of the Google user that owns or can edit the sheet (use ${VAR}).'),
    tokenUrl: z
      .string()
      .url()
      .optional()
      .describe('Token endpoint; default https://oauth2.googleapis.com/token (set only for tests).'),
  })
  .strict();

export const SheetsConfig = z
  .object({
    spreadsheetId: z
      .string()
      .min(1)
      .describe('The id in the sheet URL: https://docs.google.com/spreadsheets/d/<spreadsheetId>/edit.'),
    range: template().describe(
      'A1 range of the table, starting with its tab: "Leads", "Leads!A:E", "\'My Tab\'!B2:F". A template; routes may override it with `with: { range }`.',
    ),
    row: z
      .array(template())
      .min(1)
      .optional()
      .describe('One template per column, written from the first column of the range. Give `row` or `columns`.'),
    columns: z
      .record(z.string().min(1), template())
      .optional()
      .describe(
        'Header name → template; matched to the header row (the first row of the range), read once and cached. Give `row` or `columns`.',
      ),
    idColumn: z
      .union([z.string().min(1), z.literal(false)])
      .default('event_id')
      .describe(
        'Header of the column that holds the event id, which protects against duplicate rows after an ambiguous failure. With `row`, the id is written in the column after the last `row` value. `false` turns the protection off.',
      ),
    mode: z
      .enum(['append', 'upsert'])
      .default('append')
      .describe(
        '`append` adds one row per event; `upsert` updates the row whose keyColumn matches, and appends when none does.',
      ),
    keyColumn: z
      .string()
      .min(1)
      .optional()
      .describe(
        'For `mode: upsert`: a header name (with `columns`) or a column letter inside the `row` span (with `row`).',
      ),
    valueInputOption: z
      .enum(['RAW', 'USER_ENTERED'])
      .default('RAW')
      .describe(
        "RAW stores values as text, never parsed. USER_ENTERED parses numbers and dates as typed in the UI; text that starts with = + - @ is quoted with ' so it stays text.",
      ),
    recheckRows: z
      .number()
      .int()
      .positive()
      .default(2_000)
      .describe(
        'How many rows above the last row this connector wrote are read back to look for event ids before a retried append.',
      ),
    apiUrl: z
      .string()
      .url()
      .default('https://sheets.googleapis.com/')
      .describe('Sheets API root (only its origin is used). Change it only to test against a local fake.'),
    credentialsFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Path (relative to the config file) of a service-account key JSON, or an authorized_user JSON. Usually ${GOOGLE_CREDENTIALS}.',
      ),
    accessToken: z
      .string()
      .min(1)
      .optional()
      .describe('A ready OAuth access token (expires after about an hour; for short runs and tests).'),
    oauth: OAuthConfig.optional().describe('An OAuth client and refresh token; access tokens are refreshed as needed.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const auths = [config.credentialsFile, config.accessToken, config.oauth].filter(
      (value) => value !== undefined,
    ).length;
    if (auths !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['credentialsFile'],
        message: 'give exactly one of credentialsFile, accessToken or oauth',
      });
    if ((config.row === undefined) === (config.columns === undefined))
      ctx.addIssue({ code: 'custom', path: ['row'], message: 'give exactly one of row or columns' });
    if (config.columns && config.idColumn !== false && config.idColumn in config.columns) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns', config.idColumn],
        message: `"${config.idColumn}" is the idColumn: the connector fills it with the event id; remove it from columns`,
      });
    }
    if (config.mode === 'upsert') {
      if (config.keyColumn === undefined)
        ctx.addIssue({ code: 'custom', path: ['keyColumn'], message: 'mode: upsert needs a keyColumn' });
      else if (config.columns && !(config.keyColumn in config.columns)) {
        ctx.addIssue({
          code: 'custom',
          path: ['keyColumn'],
          message: `keyColumn "${config.keyColumn}" is not one of columns: ${Object.keys(config.columns).join(', ')}`,
        });
      } else if (config.row && columnNumber(config.keyColumn) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['keyColumn'],
          message: 'with row, keyColumn is a column letter such as "B"',
        });
      }
    } else if (config.keyColumn !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['keyColumn'], message: 'keyColumn is used only with mode: upsert' });
    }
  });

export type SheetsConfig = z.output<typeof SheetsConfig>;

export const SheetsParams = z
  .object({
    range: template()
      .optional()
      .describe('Range (tab) for this route instead of the connector\'s, e.g. "{{ device.alias }}!A:E".'),
  })
  .strict();

export type SheetsParams = z.output<typeof SheetsParams>;
