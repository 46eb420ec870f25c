import { configShowOp, doctorOp, freezeOp, gcOp, imageBuildOp, imageStatusOp, initOp, mcpOp, poolResumeOp, runQueueOp, thawOp, watchOp } from './admin.js';
import { chainOp } from './chains.js';
import type { Operation } from './operation.js';
import { answerOp, cancelOp, dispatchOp, eventsOp, listOp, logsOp, replayOp, resumeOp, statusOp, waitOp } from './runs.js';

/** Every operation, in the order help and the reference list them. */
export const operations: readonly Operation[] = [
  dispatchOp,
  chainOp,
  statusOp,
  listOp,
  waitOp,
  runQueueOp,
  watchOp,
  cancelOp,
  resumeOp,
  answerOp,
  replayOp,
  freezeOp,
  thawOp,
  poolResumeOp,
  gcOp,
  logsOp,
  eventsOp,
  imageBuildOp,
  imageStatusOp,
  doctorOp,
  initOp,
  configShowOp,
  mcpOp,
];

/** What the command that groups sub-commands (`pool resume`) says of itself. */
export const GROUPS: Readonly<Record<string, string>> = {
  pool: 'pools of agents',
  image: 'the agent image',
  config: 'inspect configuration',
};
