/** Queue names beside the AI job queue (whose name is configurable: AIKEYS_QUEUE). */
export const MAINTENANCE_QUEUE = 'aikeys-maintenance';
/** The name every AI job is added under; workers take any name, so it is only a label in Bull Board. */
export const AI_JOB_NAME = 'chat';
