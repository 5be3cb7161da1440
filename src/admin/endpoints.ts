import { z } from 'zod';
import { type Endpoint, endpoint } from './endpoint.ts';
import { getConfig, reloadConfig, routeTest, webhookPayload } from './handlers/config.ts';
import { connectorsQuery, listConnectors, setPaused } from './handlers/connectors.ts';
import { deadLettersQuery, listDeadLetters, replayDeadBody, replayDeadLetters } from './handlers/dead-letters.ts';
import { getEvent, listEvents } from './handlers/events.ts';
import { replayEvent, replayEventBody, replaySearch, replaySearchBody } from './handlers/replay.ts';
import { sendTestEvent, testEventBody } from './handlers/test-event.ts';
import { eventsQuery } from './inputs.ts';

const none = z.strictObject({});

/**
 * The admin API, one line per route: method, path (under /admin/api), the handler's name, what it
 * accepts (zod: a 400 names each wrong field) and the function that answers. docs/console.md lists
 * the same table for people.
 */
export const ENDPOINTS: readonly Endpoint[] = [
  endpoint({ method: 'GET', path: '/events', name: 'listEvents', query: eventsQuery, handler: listEvents }),
  endpoint({
    method: 'POST',
    path: '/events/replay',
    name: 'replaySearch',
    body: replaySearchBody,
    handler: replaySearch,
  }),
  endpoint({ method: 'GET', path: '/events/:id', name: 'getEvent', query: none, handler: getEvent }),
  endpoint({
    method: 'POST',
    path: '/events/:id/replay',
    name: 'replayEvent',
    body: replayEventBody,
    handler: replayEvent,
  }),
  endpoint({
    method: 'GET',
    path: '/dead-letters',
    name: 'listDeadLetters',
    query: deadLettersQuery,
    handler: listDeadLetters,
  }),
  endpoint({
    method: 'POST',
    path: '/dead-letters/replay',
    name: 'replayDeadLetters',
    body: replayDeadBody,
    handler: replayDeadLetters,
  }),
  endpoint({
    method: 'GET',
    path: '/connectors',
    name: 'listConnectors',
    query: connectorsQuery,
    handler: listConnectors,
  }),
  endpoint({ method: 'POST', path: '/connectors/:name/pause', name: 'pauseConnector', handler: setPaused(true) }),
  endpoint({ method: 'POST', path: '/connectors/:name/resume', name: 'resumeConnector', handler: setPaused(false) }),
  endpoint({
    method: 'POST',
    path: '/connectors/:name/test',
    name: 'sendTestEvent',
    body: testEventBody,
    handler: sendTestEvent,
  }),
  endpoint({ method: 'GET', path: '/config', name: 'getConfig', handler: getConfig }),
  endpoint({ method: 'POST', path: '/config/reload', name: 'reloadConfig', handler: reloadConfig }),
  endpoint({ method: 'POST', path: '/route-test', name: 'routeTest', body: webhookPayload, handler: routeTest }),
];
