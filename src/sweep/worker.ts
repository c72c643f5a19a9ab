import { runJob, type JobOutput } from './job.js';

/** Piscina worker entry: one job per call; the payload is validated inside runJob. */
export default function work(payload: unknown): Promise<JobOutput> {
  return runJob(payload);
}
