/** Queue names beside the AI job queue (whose name is configurable: AIKEYS_QUEUE). */
export const MAINTENANCE_QUEUE = 'aikeys-maintenance';
export const AI_JOB_NAME = 'chat';
