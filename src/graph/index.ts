export { bridgeDoneTasks } from './bridge-done.js';
export { asGraph, buildGraph, CycleError, type DroppedEdge, maskOf, type TaskGraph, topoOrder } from './dag.js';
export { type FileConflict, FileLocks, normalizeFilePath, referenceDocuments } from './file-locks.js';
export { pastDurations } from './past-durations.js';
export { makePriority, mulberry32 } from './priority.js';
export {
  criticalPath,
  estimateWeight,
  type PastDuration,
  planOrder,
  remainingPath,
  type ScheduleInfo,
  scheduleInfo,
  type Weight,
  waves,
} from './schedule-info.js';
export { type Selection, type SelectOptions, selectTasks, suggest, type Unrunnable } from './select.js';
export { type OtherNamer, otherNamers } from './shared-names.js';
export { type Cycle, findCycles, stronglyConnected, validateGraph } from './validate.js';
