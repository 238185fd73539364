// poolifier's worker: the same tasks as pool-tasks.mjs, behind its ThreadWorker.
import { ThreadWorker } from 'poolifier';
import piscinaTask from './pool-tasks.mjs';

export default new ThreadWorker(piscinaTask);
