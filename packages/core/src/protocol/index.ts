/**
 * @module
 * `@replayrail/core/protocol`: what an author of a transport needs. The admission
 * path (who gets a socket, refusals in order, pending upgrades counted and released,
 * heartbeats, shutdown), the per-socket protocol session, option resolution, Origin,
 * handshake and start parsing, the frames, close codes, and the error table. A
 * transport built on these only moves bytes (docs/architecture.md, "Packages and their doors").
 *
 * @example
 * import { Admission, handshakeProblem, resolveTransportOptions } from '@replayrail/core/protocol';
 */

export { CloseCode, closeReason, FATAL_CLOSE_CODES, undecodableEntryOf } from '../close-codes.js';
export { toWireJson } from '../envelope.js';
export type { WireStatus } from '../errors.js';
export { RequestAbortedError, toReplayRailError, WIRE_STATUS, wireStatusOf } from '../errors.js';
export { utf8Length } from '../json.js';
export { integerOption } from '../options.js';
export type { ParsedStart, StartInput, StartUse } from '../start.js';
export { parseStart } from '../start.js';
export { assertChannel, assertEventId, assertEventType } from '../validate.js';
export type { TransportSocket, UpgradeRequest } from './admission.js';
export { Admission, Connection } from './admission.js';
export type { Authorize, AuthorizeRequest } from './authorize.js';
export { checkAuthorized } from './authorize.js';
export { clientGone } from './client-gone.js';
export type { PreparedFrame } from './frame-writer.js';
export { FrameCache, prepareFrame, writeFrames } from './frame-writer.js';
export type { ClientFrame } from './frames.js';
export {
  errorFrame,
  expiredFrame,
  liveFrame,
  PONG_FRAME,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  parseClientFrame,
  subscribedFrame,
  unsubscribedFrame,
} from './frames.js';
export { readBodyWithin, requestChunks } from './request-body.js';
export type { ProtocolSocket, SessionOptions } from './session.js';
export { ProtocolSession } from './session.js';
export type { SnapshotContinuationQuery } from './start.js';
export { snapshotFromQuery, startFromQuery } from './start.js';
export type {
  HandshakeRefusal,
  HandshakeRequest,
  ResolvedTransportOptions,
  SentTarget,
  TransportOptions,
} from './transport.js';
export {
  channelFromPath,
  handshakeProblem,
  originAllowed,
  resolveTransportOptions,
  splitTarget,
  UPGRADE_REQUIRED,
} from './transport.js';
