/**
 * The public SDK of wa-router: everything a connector module needs, built-in or custom.
 * Import it as `wa-router/sdk`, or take it as the argument of a plugin factory.
 */
export { z } from 'zod';
export { DEFAULT_DELIVERY_POLICY, SDK_VERSION, defineConnector } from './connector.ts';
export type {
  Connector,
  ConnectorContext,
  ConnectorDefinition,
  ConnectorExample,
  ConnectorLogger,
  ConnectorState,
  Delivery,
  DeliveryPolicy,
  MediaFile,
  MediaFiles,
} from './connector.ts';
export { delivered, failed, retry, skipped, unreachable } from './outcome.ts';
export type { Exchange, ExchangeRequest, ExchangeResponse, Outcome } from './outcome.ts';
/** Each attempt's request and response for the event's timeline: attach, mask, cut (docs/custom-connectors.md). */
export { captureExchange, withExchange } from './exchange.ts';
export type { CaptureOptions, ExchangeInput, RequestInput, ResponseInput } from './exchange.ts';
export { CAPTURE_BODY_BYTES, captureBody, isSecretName, maskHeaders, maskUrl } from './capture.ts';
export type { BodyOptions, HeaderInput } from './capture.ts';
export { classifyHttpStatus, classifyNetworkError, parseRetryAfter } from './http.ts';
export type { HeaderSource } from './http.ts';
export { httpRequest } from './http-request.ts';
export { UnsafeRequestError, checkHeaders, checkedUrl, headerProblem } from './safe-request.ts';
export type { UrlBounds } from './safe-request.ts';
export { apiRequest, continueWith, detailOf, endWith, errorOutcome } from './json-api.ts';
/** Deprecated names of the JSON-API helpers, kept for one release (see each one's note). */
export { failure, ok, request, stop } from './json-api.ts';
export type { ApiClient, ApiResponse, ApiResult, Result } from './json-api.ts';
export type { HttpRequestInit, HttpResponse } from './http-request.ts';
export { TemplateError, compileTemplate, compileTree, compileUrlTemplate } from './template.ts';
export {
  template,
  templateProblems,
  templateTree,
  templateTreeProblems,
  urlTemplate,
} from './template-config.ts';
export type { Template, TemplateTree } from './template.ts';
export type { TemplateTreeProblem } from './template-config.ts';
export { templateScope } from './scope.ts';
export { duration } from './units.ts';
export type { DurationBounds } from './units.ts';
export type {
  ChatType,
  EventChat,
  EventContact,
  EventDevice,
  EventMedia,
  EventMessage,
  EventQuoted,
  RoutedEvent,
} from '../domain/event.ts';
