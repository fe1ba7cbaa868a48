import { z } from 'zod';
import { PathComparisonSchema, PathRefSchema, RunComparisonSchema, RunRefSchema } from './compare.js';
import { ApiErrorSchema } from './errors.js';
import { FilterCheckRequestSchema, FilterCheckSchema } from './filter.js';
import { MAX_SESSION_FLOWS, SessionFlowsSchema } from './flows.js';
import { ConnectionTestSchema, HostNameSchema, HostPatchSchema, HostSchema } from './hosts.js';
import { PacketPageSchema, PacketQuerySchema } from './packets.js';
import { ProbeSetValidationSchema, ProfileInfoSchema } from './probeset.js';
import { RunTimelineSchema, TimelineWindowSchema } from './timeline.js';
import {
  AnnotationSchema,
  ExportFormatSchema,
  SessionIdSchema,
  SessionSchema,
  SessionSummarySchema,
} from './sessions.js';
import {
  PacketPathSchema,
  ProbeFactsSchema,
  RunSchema,
  TracePacketsEventSchema,
  TraceEndReasonSchema,
  TraceProgressEventSchema,
  RunIdSchema,
  TraceSpecSchema,
  TraceStatusSchema,
} from './trace.js';
import { FileLabelSchema, SshConfigTextSchema, TransferDataSchema } from './transfer.js';
import { TraceGroupSpecSchema, TraceGroupStartSchema } from './trace-group.js';

/**
 * The one contract between the faces (CLI, browser mode, Electron) and the core. Every transport carries
 * `{ method, request }` → `{ ok: true, response } | { ok: false, error }` and pushes `{ event, payload }`; both
 * ends validate with these schemas (see validate.ts). Adding a method here is the only way to add one.
 */

const Empty = z.object({}).strict();

const HostKeyPromptSchema = z.object({
  promptId: z.string().min(1),
  host: z.string(),
  /** "[address]:port" or "address" as known_hosts would write it. */
  hostPattern: z.string(),
  keyType: z.string(),
  /** "SHA256:..." exactly as `ssh-keygen -lf` prints it. */
  fingerprint: z.string(),
  /** Set when this hop is a jump host for `host`. */
  viaJumpFor: z.string().optional(),
});

/** What the core may ask a person for; a face's secret store keys on it too. */
export const SecretKindSchema = z.enum(['password', 'passphrase', 'sudo-password', 'keyboard-interactive']);
export type SecretKind = z.infer<typeof SecretKindSchema>;

/** A person's answer to an unknown host key. */
export const HostKeyDecisionSchema = z.enum(['accept-once', 'accept-and-save', 'reject']);
export type HostKeyDecision = z.infer<typeof HostKeyDecisionSchema>;

const SecretPromptSchema = z.object({
  promptId: z.string().min(1),
  host: z.string(),
  kind: SecretKindSchema,
  /** What to show the user (for a passphrase: the key file). */
  prompt: z.string(),
  /** Whether this face can keep the answer (`secret.provide` with `remember`), and why not. */
  remember: z.object({ available: z.boolean(), reason: z.string().optional() }),
});

/** A run of a session: its id or 1-based position; none = the first run. */
const RunOfSessionSchema = { id: SessionIdSchema, run: z.string().min(1).optional() };

function method<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res, summary: string) {
  return { request, response, summary };
}

export const methods = {
  'hosts.list': method(
    Empty,
    z.object({ hosts: z.array(HostSchema) }),
    'every host, the built-in `local` first',
  ),
  'hosts.get': method(z.object({ name: HostNameSchema }), HostSchema, 'one host by name'),
  'hosts.add': method(HostSchema, HostSchema, 'add a host (fails with `conflict` if the name exists)'),
  'hosts.update': method(
    z.object({ name: HostNameSchema, patch: HostPatchSchema }),
    HostSchema,
    'change the fields the patch names (`null` unsets an optional one)',
  ),
  'hosts.remove': method(
    z.object({ name: HostNameSchema }),
    Empty,
    'remove a host (not `local`, not a jump of another)',
  ),
  'hosts.importSshConfig': method(
    z.strictObject({
      /**
       * Uploaded ssh_config text; none = the ~/.ssh/config of the user running pktpath. `Include` lines in uploaded
       * text are not followed (each is listed in `skipped`): an upload never makes the core read another file.
       */
      text: SshConfigTextSchema.optional(),
      /** What the imported hosts' notes call the upload. */
      name: FileLabelSchema.optional(),
      only: z.array(z.string()).optional(),
      overwrite: z.boolean().default(false),
      /** Say what would be imported and skipped, changing nothing (a face's preview to pick from). */
      dryRun: z.boolean().default(false),
    }),
    z.object({
      imported: z.array(HostSchema),
      skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
    }),
    'import the concrete Host entries of ~/.ssh/config, or of uploaded ssh_config `text`',
  ),
  'hosts.disconnect': method(
    z.object({ name: HostNameSchema, force: z.boolean().default(false) }),
    z.object({
      /** A pooled connection (open, or still connecting) was there and is closed now. */
      closed: z.boolean(),
      /** Runs that were tracing over it; they end (only with `force`). */
      endedRuns: z.array(z.string()),
    }),
    "close the host's pooled SSH connection, e.g. a dead link not yet noticed; the next call connects afresh. With runs tracing on the host it fails with `conflict` unless `force`",
  ),
  'hosts.testConnection': method(
    z.object({ name: HostNameSchema, timeoutMs: z.int().positive().optional() }),
    ConnectionTestSchema,
    'connect, run `uname`, check the privilege method',
  ),
  'probe.run': method(
    z.object({ host: HostNameSchema, refresh: z.boolean().default(false) }),
    ProbeFactsSchema,
    'run `loader probe` (cached per host and kernel release)',
  ),
  'filter.check': method(
    FilterCheckRequestSchema,
    FilterCheckSchema,
    'compile a pcap filter on the host with its loader (both views, no root)',
  ),
  'probeSet.validate': method(
    z.object({ text: z.string(), host: HostNameSchema.optional() }),
    ProbeSetValidationSchema,
    'parse probe-set text; with a probed host, also list names it lacks',
  ),
  'probeSet.profiles': method(
    Empty,
    z.object({ profiles: z.array(ProfileInfoSchema) }),
    'the built-in profiles',
  ),
  'trace.start': method(
    // runId: chosen by the client, so it can claim the run's events before the answer arrives; else the core's
    TraceSpecSchema.extend({ runId: RunIdSchema.optional() }),
    z.object({ runId: z.string() }),
    'start a run; progress and packets arrive as events',
  ),
  'trace.stop': method(
    z.object({ runId: z.string() }),
    RunSchema,
    'stop a run; resolves once the host has detached',
  ),
  'trace.status': method(
    z.object({ runId: z.string() }),
    TraceStatusSchema,
    'where a run is now (phase, counts, why it ended): a face that missed events resyncs with it',
  ),
  'trace.startGroup': method(
    TraceGroupSpecSchema,
    TraceGroupStartSchema,
    'start one run per host with the same spec, sharing a group id (docs/CLI.md "Several hosts")',
  ),
  'trace.stopGroup': method(
    z.object({ groupId: z.string().min(1) }),
    z.object({ runIds: z.array(z.string()) }),
    'stop every run of a group; resolves once each host has detached',
  ),
  'sessions.list': method(
    Empty,
    z.object({ sessions: z.array(SessionSummarySchema) }),
    'saved sessions, newest first',
  ),
  'sessions.get': method(
    z.object({ id: SessionIdSchema }),
    SessionSchema,
    'one session without its packets (page them with `sessions.packets`)',
  ),
  'sessions.packets': method(
    z.object(RunOfSessionSchema).extend(PacketQuerySchema.shape),
    PacketPageSchema,
    'a page of a saved run’s packet summaries, optionally filtered and sorted',
  ),
  'sessions.timeline': method(
    z.object({
      ...RunOfSessionSchema,
      ...TimelineWindowSchema.shape,
      filter: PacketQuerySchema.shape.filter,
    }),
    RunTimelineSchema,
    'a saved run’s packets over time: counts per time bucket and verdict, of the packets passing `filter`',
  ),
  'sessions.packet': method(
    z.object({ ...RunOfSessionSchema, packet: z.int().nonnegative() }),
    PacketPathSchema,
    'one packet of a saved run with all its hops',
  ),
  'sessions.flows': method(
    z.strictObject({
      id: SessionIdSchema,
      /** The group of runs to stitch; none = the session's largest group (else all its runs, one per host). */
      group: z.string().min(1).optional(),
      limit: z.int().positive().max(MAX_SESSION_FLOWS).default(1000),
    }),
    SessionFlowsSchema,
    'a saved multi-host trace stitched into flows across its hosts, and its hosts grouped by path (docs/CLI.md "Several hosts")',
  ),
  'sessions.report': method(
    z.object({ id: SessionIdSchema }),
    z.object({ markdown: z.string() }),
    'the session’s Markdown report',
  ),
  'sessions.save': method(
    z.object({
      id: SessionIdSchema.optional(),
      title: z.string().min(1),
      notes: z.string().optional(),
      runIds: z.array(z.string()),
    }),
    SessionSummarySchema,
    'save finished runs into a new session, or append them to `id`',
  ),
  'sessions.rename': method(
    z.object({ id: SessionIdSchema, title: z.string().min(1) }),
    SessionSummarySchema,
    'retitle',
  ),
  'sessions.annotate': method(
    AnnotationSchema.omit({ id: true, at: true }).extend({ id: SessionIdSchema }),
    AnnotationSchema,
    'attach a note to a session, run, packet or hop',
  ),
  'sessions.delete': method(z.object({ id: SessionIdSchema }), Empty, 'delete a session'),
  'sessions.export': method(
    z.strictObject({
      id: SessionIdSchema,
      /** `pcapng`: the captured packet bytes (runs traced with `capture`), for Wireshark. */
      format: ExportFormatSchema.default('session'),
    }),
    z.object({
      /** A file name to offer in the save dialog. */
      name: FileLabelSchema,
      mediaType: z.string(),
      bytes: z.int().nonnegative(),
      data: TransferDataSchema,
    }),
    'the session as one file another pktpath imports, a Markdown report, or its captured packets as pcapng — as bytes (`too-large` past 10 MiB)',
  ),
  'sessions.import': method(
    z.strictObject({ data: TransferDataSchema, name: FileLabelSchema.optional() }),
    SessionSummarySchema,
    'import an exported session from its bytes (migrated, re-id on clash; `too-large` past 10 MiB)',
  ),
  'compare.paths': method(
    z.object({ a: PathRefSchema, b: PathRefSchema }),
    PathComparisonSchema,
    'align two packet paths',
  ),
  'compare.runs': method(
    z.object({ a: RunRefSchema, b: RunRefSchema }),
    RunComparisonSchema,
    'path variants of two runs',
  ),
  'hostKey.decide': method(
    z.object({ promptId: z.string(), decision: HostKeyDecisionSchema }),
    Empty,
    'answer a `hostKey.prompt` event',
  ),
  'secret.provide': method(
    z.object({ promptId: z.string(), value: z.string().nullable(), remember: z.boolean().default(false) }),
    z.object({ remembered: z.boolean(), reason: z.string().optional() }),
    'answer a `secret.prompt` event (null = cancel); `remember` keeps it where the face can (desktop keyring)',
  ),
} as const;

export const events = {
  'trace.progress': TraceProgressEventSchema,
  'trace.packets': TracePacketsEventSchema,
  'trace.end': z.object({
    runId: z.string(),
    /** The run with its first packets inline (at most 5000); `recorded` has them all. */
    run: RunSchema.optional(),
    /** The run file written while tracing (docs/SESSION-FORMAT.md), kept also when the run failed. */
    recorded: z.object({ packets: z.int().nonnegative(), file: z.string() }).optional(),
    error: ApiErrorSchema.optional(),
    /** Why it ended (every core that knows sets it). */
    reason: TraceEndReasonSchema.optional(),
  }),
  'hostKey.prompt': HostKeyPromptSchema,
  'secret.prompt': SecretPromptSchema,
} as const;

export type MethodName = keyof typeof methods;
export type EventName = keyof typeof events;
/** What a caller sends (defaults may be omitted). */
export type RequestOf<M extends MethodName> = z.input<(typeof methods)[M]['request']>;
/** What a handler receives (validated, defaults applied). */
export type ParsedRequestOf<M extends MethodName> = z.output<(typeof methods)[M]['request']>;
export type ResponseOf<M extends MethodName> = z.output<(typeof methods)[M]['response']>;
export type EventOf<E extends EventName> = z.output<(typeof events)[E]>;
export type HostKeyPrompt = EventOf<'hostKey.prompt'>;
export type SecretPrompt = EventOf<'secret.prompt'>;

/** The wire envelopes every transport uses. */
export const RequestEnvelopeSchema = z.object({
  id: z.union([z.string(), z.int()]),
  method: z.string(),
  request: z.unknown(),
});
export const ResponseEnvelopeSchema = z.union([
  z.object({ id: z.union([z.string(), z.int()]), ok: z.literal(true), response: z.unknown() }),
  z.object({ id: z.union([z.string(), z.int()]), ok: z.literal(false), error: ApiErrorSchema }),
]);
export const EventEnvelopeSchema = z.object({ event: z.string(), payload: z.unknown() });

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}
export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}
